// Browser tests of the global control group (全局对照组, docs/journeys.md): the owner turns it on
// in 设置 and the Journeys page reads the programme — the period, both sides' sizes and the four
// metrics with their calls; a share over 30% is not saved; the analyst reads the card
// and may change nothing. These tests change the demo store's control group.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'
import { csrfHeaders } from './liveEvents.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()
const text = async (locator) => (await locator.first().innerText()).trim()

test('the owner sets the control group and reads the programme', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.locator(byTestId('nav-settings')).click()
  await settle(page)
  const card = page.locator(byTestId('settings-control-group'))
  assert.equal(await text(card.locator('h2')), '全局对照组')

  // A share over 30% is stopped by the form (the API would name the field), and not saved.
  const percent = card.locator(byTestId('control-group-percent'))
  await percent.fill('45')
  await card.locator(byTestId('control-group-save')).click()
  assert.ok(await percent.evaluate((el) => el.validity.rangeOverflow))
  assert.equal(await card.locator(byTestId('control-group-saved')).count(), 0)

  await card.locator(byTestId('control-group-percent')).fill('10')
  await card.locator(byTestId('control-group-save')).click()
  await card.locator(byTestId('control-group-saved')).waitFor()
  const saved = await (await page.request.get(`${baseUrl()}/api/v1/programme/control`)).json()
  assert.equal(saved.percent, 10)
  assert.match(saved.since, /^\d{4}-\d{2}-\d{2}$/, 'turned on today')
  assert.equal(await card.locator(byTestId('control-group-since')).inputValue(), saved.since)

  await page.locator(byTestId('nav-journeys')).click()
  await settle(page)
  const programme = page.locator(byTestId('programme'))
  const view = await (await page.request.get(`${baseUrl()}/api/v1/programme`)).json()
  assert.equal(view.status, 'read')
  const p = view.programme
  const sizes = await text(programme.locator(byTestId('programme-sizes')))
  assert.ok(sizes.includes(`第 1 期（${p.from} 至 ${p.to}）`), sizes)
  assert.ok(sizes.includes(`对照组 10%，${p.control.people.toLocaleString('zh-CN')} 人`), sizes)
  const rows = programme.locator(byTestId('programme-metric'))
  assert.equal(await rows.count(), 4)
  const names = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-metric')))
  assert.deepEqual(names, ['order_rate', 'orders_per_person', 'revenue_per_person', 'retention'])
  assert.equal(await text(rows.nth(0).locator('td')), '下单率')
  const verdicts = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-verdict')))
  assert.deepEqual(verdicts, p.readout.metrics.map((m) => m.verdict))

  // Off again: the specs after this one count who enters journeys in the same demo store.
  const off = await page.request.put(`${baseUrl()}/api/v1/programme/control`, { data: { percent: 0 }, headers: await csrfHeaders(page) })
  assert.equal(off.status(), 200, await off.text())
})

test('the analyst reads the programme and changes nothing', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await page.locator(byTestId('nav-journeys')).click()
  await settle(page)
  const programme = page.locator(byTestId('programme'))
  await programme.waitFor()
  await programme.locator(byTestId('programme-edit')).click()
  await settle(page)
  assert.equal(await programme.locator(byTestId('control-group-save')).count(), 0)
  assert.ok(await programme.locator(byTestId('control-group-percent')).isDisabled())
  const r = await page.request.put(`${baseUrl()}/api/v1/programme/control`, { data: { percent: 0 }, headers: await csrfHeaders(page) })
  assert.equal(r.status(), 403)
  assert.equal((await r.json()).code, 'forbidden')
})
