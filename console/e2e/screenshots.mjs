// Full-page screenshots of the dashboard and of a person, for docs and reviews.
// Env: the REKINDLE_* variables of the tests, SCREENSHOT_DASHBOARD and SCREENSHOT_PERSON (PNG paths).
import { byTestId, env, launch, login, openPerson, settle, waitForCharts } from './lib.mjs'

const dashboardPath = env('SCREENSHOT_DASHBOARD')
const personPath = env('SCREENSHOT_PERSON')

const browser = await launch()
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  context.setDefaultTimeout(30_000)
  const page = await context.newPage()

  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await waitForCharts(page) // all four dashboard charts
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: dashboardPath, fullPage: true })
  console.log(`dashboard: ${dashboardPath}`)

  await openPerson(page, env('REKINDLE_PHONE'))
  await page.locator(byTestId('person-timeline')).waitFor()
  await page.locator(byTestId('person-stage')).waitFor()
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: personPath, fullPage: true })
  console.log(`person: ${personPath}`)
  await context.close()
} catch (e) {
  console.error(e)
  process.exitCode = 1
} finally {
  await browser.close()
}
