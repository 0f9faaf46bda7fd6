// Shared helpers of the browser tests and the screenshot script (playwright-core only).
import assert from 'node:assert/strict'
import { after, before } from 'node:test'
import { chromium } from 'playwright-core'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** A required environment variable; a missing one fails loudly instead of skipping. */
export function env(name) {
  const value = process.env[name]
  if (!value) {
    throw new Error(
      `${name} is not set. The console browser tests need a running Rekindle server with the demo store: ` +
        'set REKINDLE_URL, REKINDLE_OWNER_EMAIL, REKINDLE_OWNER_PASSWORD, REKINDLE_ANALYST_EMAIL, ' +
        'REKINDLE_ANALYST_PASSWORD, REKINDLE_PHONE, REKINDLE_PHONE_MASKED and REKINDLE_PHONE_FULL.',
    )
  }
  return value
}

export function baseUrl() {
  return env('REKINDLE_URL').replace(/\/+$/, '')
}

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

export const byTestId = (id) => `[data-testid="${id}"]`

/** Signs in through the login page and waits for the dashboard. */
export async function login(page, email, password) {
  await page.goto(`${baseUrl()}/login`)
  await page.fill(byTestId('login-email'), email)
  await page.fill(byTestId('login-password'), password)
  await page.click(byTestId('login-submit'))
  await page.waitForSelector(byTestId('dashboard'))
}

/** Searches people by `query` from the sidebar, opens the first result and waits for it. */
export async function openPerson(page, query) {
  await page.click(byTestId('nav-people'))
  await page.fill(byTestId('people-search'), query)
  await page.press(byTestId('people-search'), 'Enter')
  const row = page.locator(byTestId('person-row')).first()
  await row.waitFor()
  await row.click()
  await page.waitForSelector(byTestId('person-view'))
  await page.locator(byTestId('identity-phone')).first().waitFor()
}

/** Waits until no section of the page is still loading (the API calls have settled). */
export async function settle(page) {
  await page.waitForLoadState('networkidle')
  await page.waitForFunction(() => !document.querySelector('[data-testid="loading"]'))
}

/** The dashboard charts: daily new people, daily orders and GMV, lifecycle stages, value tiers. */
export const DASHBOARD_CHARTS = ['chart-new-people', 'chart-orders', 'chart-lifecycle', 'chart-tiers']

/** Waits until every dashboard chart has drawn a canvas, then lets the animation finish. */
export async function waitForCharts(page, charts = DASHBOARD_CHARTS) {
  for (const chart of charts) {
    await page.locator(`${byTestId(chart)} canvas`).first().waitFor()
  }
  await page.waitForTimeout(500)
}

/**
 * One browser per test file, started before its tests and closed after them; returns
 * `freshPage(t)`: a page in a context of its own, closed when test `t` ends.
 */
export function pagesPerTest() {
  let browser
  before(async () => {
    baseUrl() // fail every test with a clear message when unconfigured
    browser = await launch()
  })
  after(async () => {
    await browser?.close()
  })
  return async (t) => {
    env('REKINDLE_URL')
    assert.ok(browser, 'the browser did not start')
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
    context.setDefaultTimeout(20_000)
    t.after(() => context.close())
    return context.newPage()
  }
}
