// Browser tests of the console against a running server with the demo store loaded.
// Run with `npm run test:browser`; configuration comes from the environment (see lib.mjs).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, launch, login, openPerson, settle, waitForCharts } from './lib.mjs'

const TIMEOUT = 90_000
let browser

before(async () => {
  baseUrl() // fail every test with a clear message when unconfigured
  browser = await launch()
})

after(async () => {
  await browser?.close()
})

/** A fresh browser context per test, closed when the test ends. */
async function freshPage(t) {
  env('REKINDLE_URL')
  assert.ok(browser, 'the browser did not start')
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
  context.setDefaultTimeout(20_000)
  t.after(() => context.close())
  return context.newPage()
}

const text = async (page, testid) => (await page.locator(byTestId(testid)).first().innerText()).trim()

/** The zh-CN names of the lifecycle stages (src/i18n/zh-CN.ts, `lifecycle`). */
const STAGES_ZH = ['潜在客户', '新客', '活跃', '沉默', '流失', '回流']

test('owner signs in and sees the dashboard with numbers and charts', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  assert.equal(new URL(page.url()).pathname, '/')
  for (const kpi of ['kpi-people', 'kpi-orders', 'kpi-gmv']) {
    assert.match(await text(page, kpi), /\d/, `${kpi} shows a number`)
  }
  await waitForCharts(page) // new people, orders, lifecycle and value tiers
  await page.locator(byTestId('live-sessions')).waitFor()
})

test('owner finds a person by phone and sees the full phone, profile, timeline and orders', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openPerson(page, env('REKINDLE_PHONE'))
  const phones = (await page.locator(byTestId('identity-phone')).allInnerTexts()).map((s) => s.trim())
  assert.ok(phones.includes(env('REKINDLE_PHONE_FULL')), `identity-phone ${JSON.stringify(phones)}`)
  await page.locator(byTestId('person-timeline')).waitFor()
  await page.locator(byTestId('person-orders')).waitFor()
  await page.locator(byTestId('person-profile')).waitFor()
  await page.locator(byTestId('person-stage')).waitFor()
  const stage = await text(page, 'person-stage')
  assert.ok(STAGES_ZH.includes(stage), `person-stage ${JSON.stringify(stage)} is a translated stage`)
  assert.notEqual(await text(page, 'person-tier'), '')
  await settle(page)
  assert.ok((await page.locator(byTestId('timeline-event')).count()) > 0, 'the timeline lists events')
})

test('the language switch changes the navigation and persists across reloads', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  assert.equal(await text(page, 'nav-people'), '用户')
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN')

  await page.selectOption(byTestId('lang-switch'), 'en')
  assert.equal(await text(page, 'nav-people'), 'People')
  await page.reload()
  await page.locator(byTestId('nav-people')).waitFor()
  assert.equal(await text(page, 'nav-people'), 'People')
  assert.equal(await page.getAttribute('html', 'lang'), 'en')

  await page.selectOption(byTestId('lang-switch'), 'zh-CN')
  assert.equal(await text(page, 'nav-people'), '用户')
  await page.reload()
  await page.locator(byTestId('nav-people')).waitFor()
  assert.equal(await text(page, 'nav-people'), '用户')
})

test('an analyst sees the phone masked and never in full', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openPerson(page, env('REKINDLE_PHONE'))
  const phones = (await page.locator(byTestId('identity-phone')).allInnerTexts()).map((s) => s.trim())
  assert.ok(phones.includes(env('REKINDLE_PHONE_MASKED')), `identity-phone ${JSON.stringify(phones)}`)
  await settle(page)
  const body = await page.evaluate(() => document.body.innerText)
  assert.ok(!body.includes(env('REKINDLE_PHONE')), 'the full phone number appears on the page')
  assert.ok(!body.includes(env('REKINDLE_PHONE_FULL')), 'the full phone number appears on the page')
})

test('a wrong password shows an error', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await page.goto(`${baseUrl()}/login`)
  await page.fill(byTestId('login-email'), env('REKINDLE_OWNER_EMAIL'))
  await page.fill(byTestId('login-password'), `wrong-${Date.now()}`)
  await page.click(byTestId('login-submit'))
  const error = page.locator(byTestId('login-error'))
  await error.waitFor()
  assert.notEqual((await error.innerText()).trim(), '')
  assert.equal(new URL(page.url()).pathname, '/login')
})

test('signed out, every /api/v1 route in the OpenAPI document is refused', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  const doc = await (await page.request.get(`${baseUrl()}/api/openapi.json`)).json()
  let checked = 0
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1') || path === '/api/v1/auth/login') continue
    const url = baseUrl() + path.replace('{person}', 'u1').replace('{id}', '1').replace('{slug}', 'default')
    for (const method of Object.keys(item)) {
      const response = await page.request.fetch(url, { method: method.toUpperCase(), failOnStatusCode: false })
      assert.equal(response.status(), 401, `${method.toUpperCase()} ${path}`)
      assert.equal((await response.json()).code, 'unauthorized')
      checked += 1
    }
  }
  assert.ok(checked >= 25, `checked ${checked} routes`)
})
