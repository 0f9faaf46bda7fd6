// Browser tests of subscriptions (定期购) against a running server with the demo store loaded (see
// lib.mjs). A subscription is started as the store's order system would (`Subscription Started`
// through /v1/batch with the demo's write key); it shows in the list, its shipments in the next 14
// days' schedule (and its CSV); skipping a shipment from the side panel changes the schedule as
// the API does; a refused move is told in Chinese as the API words it; the customer's page has a
// 定期购 card; a role without service.manage only reads; with no subscription, the page explains
// the event and the confirmation flow. These tests add subscriptions and answers to the store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'
import { csrfHeaders, send, track } from './liveEvents.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()

const text = async (locator) => (await locator.first().innerText()).trim()
const api = async (page, path) => {
  const r = await page.request.get(`${baseUrl()}/api/v1${path}`)
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`)
  return r.json()
}
const DATE_TIME = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/
const addDays = (day, n) => {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}
const yuan = (fen) => `¥${(fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`

/**
 * Starts a subscription of a new customer: every 7 days, 2 × berry-500g at ¥39.90, the first
 * shipment 4 store days from today (so two fall in the next 14 days, neither asked yet).
 */
async function startOne(page) {
  const today = (await api(page, '/subscriptions/schedule')).from
  const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`
  const id = `e2e-sub-${stamp}`
  const name = `定期购顾客${stamp.slice(-4)}`
  const who = { userId: `e2e-sub-user-${stamp}` }
  const first = addDays(today, 4)
  await send(page, [
    { type: 'identify', messageId: `e2e-sub-identify-${stamp}`, ...who, traits: { nickname: name }, timestamp: new Date().toISOString() },
    track(who, 'Subscription Started', { subscription_id: id, sku: 'berry-500g', every_days: 7, quantity: 2, price: 39.9, first_ship_on: first }),
  ])
  for (let i = 0; i < 100; i++) {
    const r = await page.request.get(`${baseUrl()}/api/v1/subscriptions/${id}`)
    if (r.status() === 200) {
      const s = await r.json()
      if (s.name === name) return { id, name, today, first, second: addDays(first, 7), detail: s }
    }
    await page.waitForTimeout(100)
  }
  assert.fail(`subscription ${id} was not applied`)
}

/** Opens 定期购 from the sidebar and waits for its list. */
async function openSubscriptions(page) {
  const nav = page.locator(byTestId('nav-subscriptions'))
  assert.equal(await text(nav), '定期购')
  await nav.click()
  await page.locator(byTestId('subscription-figure-active')).waitFor()
  await page.locator(`${byTestId('subscription-schedule')} table, ${byTestId('subscription-schedule')} .state:not([data-testid="loading"])`).first().waitFor()
  await settle(page)
}

const scheduleRow = (page, id, day) => page.locator(`${byTestId('schedule-row')}[data-subscription="${id}"][data-ship-on="${day}"]`)

test('a started subscription shows in the list and its shipments in the schedule; skipping one from the panel changes the schedule as the API does', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const s = await startOne(page)
  await openSubscriptions(page)
  assert.equal(await text(page.locator('h1')), '定期购')
  assert.equal(await page.locator(byTestId('subscriptions-empty')).count(), 0)

  // The figures agree with the API.
  const f = await api(page, '/subscriptions/figures')
  const value = (id) => text(page.locator(`${byTestId(`subscription-figure-${id}`)} ${byTestId('subscription-figure-value')}`))
  assert.equal(await text(page.locator(`${byTestId('subscription-figure-active')} .kpi-label`)), '在订')
  assert.equal(await value('active'), f.active_now.toLocaleString('zh-CN'))
  assert.ok(f.active_now >= 1)
  assert.equal(await value('paused'), f.paused_now.toLocaleString('zh-CN'))
  const month = f.months.at(-1)
  assert.equal(await value('month'), `${month.started.toLocaleString('zh-CN')} / ${month.cancelled.toLocaleString('zh-CN')}`)
  assert.ok(month.started >= 1, 'started this month')
  assert.equal(await text(page.locator(`${byTestId('subscription-figure-answers')} .kpi-label`)), '确认率 / 跳过率 / 未回复率')
  assert.ok((await page.locator(byTestId('month-row')).count()) === f.months.length)
  assert.ok((await page.locator(byTestId('cohort-row')).count()) === f.cohorts.length)

  // The list: the new subscription with its customer, product, cadence, status and next shipment.
  const row = page.locator(`${byTestId('subscription-row')}[data-id="${s.id}"]`)
  await row.waitFor()
  assert.match(await text(row.locator(byTestId('subscription-customer'))), new RegExp(`^${s.name}`))
  assert.equal(await text(row.locator(byTestId('subscription-sku'))), 'berry-500g')
  assert.equal(await text(row.locator(byTestId('subscription-cadence'))), '每 7 天 × 2')
  assert.equal(await text(row.locator(byTestId('subscription-status'))), '生效中')
  assert.match(await text(row.locator(byTestId('subscription-next'))), new RegExp(`^${s.first}\\s*待询问$`))
  const list = await api(page, '/subscriptions?limit=200')
  assert.equal(await page.locator(byTestId('subscription-row')).count(), list.subscriptions.length)

  // The schedule: its two shipments of the next 14 days, in Chinese, as the API has them.
  const sched = await api(page, '/subscriptions/schedule')
  const mine = sched.shipments.filter((x) => x.subscription_id === s.id)
  assert.deepEqual(mine.map((x) => x.ship_on), [s.first, s.second])
  assert.deepEqual(
    (await page.locator(`${byTestId('subscription-schedule')} th`).allInnerTexts()).map((x) => x.trim()),
    ['日期', '顾客', '商品', '数量', '金额', '状态', '是否发货'],
  )
  assert.equal(await page.locator(byTestId('schedule-row')).count(), sched.shipments.length)
  for (const day of [s.first, s.second]) {
    const r = scheduleRow(page, s.id, day)
    assert.equal(await text(r.locator(byTestId('schedule-date'))), day)
    assert.equal(await text(r.locator(byTestId('schedule-customer'))), s.name)
    assert.equal(await text(r.locator(byTestId('schedule-quantity'))), '2')
    assert.equal(await text(r.locator(byTestId('schedule-amount'))), yuan(7980))
    assert.equal(await text(r.locator(byTestId('schedule-status'))), '待询问')
    assert.equal(await text(r.locator(byTestId('schedule-goes-out'))), '待定')
  }

  // The CSV link: the same window, for Excel, headers in Chinese.
  const csv = page.locator(byTestId('subscription-schedule-csv'))
  assert.equal(await text(csv), '下载 CSV')
  const href = await csv.getAttribute('href')
  assert.match(href, /^\/api\/v1\/subscriptions\/schedule\.csv\?/)
  assert.equal(new URL(href, baseUrl()).searchParams.get('lang'), 'zh-CN')
  const file = await page.request.get(`${baseUrl()}${href}`)
  assert.equal(file.status(), 200)
  const body = await file.text()
  assert.ok(body.replace(/^\uFEFF/, '').startsWith('发货日,原定日,定期购编号'), body.slice(0, 80))
  assert.equal(body.split('\n').filter((l) => l.includes(s.id)).length, 2)

  // The panel: terms, shipments, status changes; skip the second shipment.
  await row.click()
  const panel = page.locator(`${byTestId('subscription-detail')}[data-id="${s.id}"]`)
  await panel.locator(byTestId('subscription-detail-status')).waitFor()
  assert.equal(new URL(page.url()).searchParams.get('subscription'), s.id)
  assert.equal(await text(panel.locator(byTestId('subscription-detail-status'))), '生效中')
  assert.equal(await text(panel.locator(byTestId('subscription-detail-cadence'))), '每 7 天 × 2')
  assert.equal(await panel.locator(byTestId('subscription-shipment')).count(), s.detail.shipments.length)
  const second = panel.locator(`${byTestId('subscription-shipment')}[data-ship-on="${s.second}"]`)
  assert.equal(await text(second.locator(byTestId('subscription-shipment-status'))), '待询问')
  await second.locator(byTestId('shipment-skip')).click()
  await panel.locator(`${byTestId('subscription-shipment')}[data-ship-on="${s.second}"][data-status="skipped"]`).waitFor()
  assert.equal(await text(panel.locator(byTestId('subscription-done'))), '已记录：跳过定期购发货')
  assert.equal(await text(second.locator(byTestId('subscription-shipment-status'))), '已跳过')

  // The schedule follows: the second shipment is skipped and does not go out; the first is unchanged.
  await page.locator(`${byTestId('schedule-row')}[data-subscription="${s.id}"][data-ship-on="${s.second}"][data-status="skipped"]`).waitFor()
  assert.equal(await text(scheduleRow(page, s.id, s.second).locator(byTestId('schedule-status'))), '已跳过')
  assert.equal(await text(scheduleRow(page, s.id, s.second).locator(byTestId('schedule-goes-out'))), '不发货')
  assert.equal(await text(scheduleRow(page, s.id, s.first).locator(byTestId('schedule-status'))), '待询问')
  const after = (await api(page, '/subscriptions/schedule')).shipments.filter((x) => x.subscription_id === s.id)
  assert.deepEqual(after.map((x) => [x.ship_on, x.status, x.goes_out]), [[s.first, 'scheduled', null], [s.second, 'skipped', false]])

  // A move to a day already past is refused, in Chinese, as the API words it.
  const first = panel.locator(`${byTestId('subscription-shipment')}[data-ship-on="${s.first}"]`)
  await first.locator(byTestId('shipment-move-open')).click()
  const yesterday = addDays(s.today, -1)
  await first.locator(byTestId('shipment-move-to')).fill(yesterday)
  await first.locator(byTestId('shipment-move')).click()
  const error = panel.locator(byTestId('subscription-error'))
  await error.waitFor()
  const shown = await text(error)
  assert.match(shown, /[\u4e00-\u9fff]/, 'told in Chinese')
  const refused = await page.request.post(`${baseUrl()}/api/v1/subscriptions/${s.id}/actions`, {
    data: { action: 'reschedule', ship_on: s.first, to: yesterday },
    headers: { ...(await csrfHeaders(page)), 'Accept-Language': 'zh-CN' },
  })
  assert.equal(refused.status(), 400)
  const refusal = await refused.json()
  assert.equal(refusal.field, 'to')
  assert.equal(shown, refusal.message)
  assert.equal(await first.getAttribute('data-status'), 'scheduled')

  // The customer's page has a 定期购 card with it.
  await panel.locator(byTestId('subscription-detail-person')).click()
  await page.waitForSelector(byTestId('person-view'))
  const card = page.locator(byTestId('person-subscriptions'))
  await card.waitFor()
  assert.equal(await text(card.locator('h2')), '定期购')
  const item = card.locator(`${byTestId('person-subscription')}[data-id="${s.id}"]`)
  assert.equal(await text(item.locator(byTestId('person-subscription-status'))), '生效中')
  assert.match(await text(item.locator(byTestId('person-subscription-next'))), new RegExp(`下次发货 ${s.first}`))
})

test('pausing from the panel drops the coming shipments from the schedule; resuming brings them back', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const s = await startOne(page)
  await page.goto(`${baseUrl()}/subscriptions?subscription=${s.id}`)
  const panel = page.locator(`${byTestId('subscription-detail')}[data-id="${s.id}"]`)
  await panel.locator(byTestId('subscription-detail-status')).waitFor()
  await scheduleRow(page, s.id, s.first).waitFor()
  await panel.locator(byTestId('subscription-pause')).click()
  await page.locator(`${byTestId('subscription-detail-status')}`).filter({ hasText: '已暂停' }).waitFor()
  await page.waitForFunction((id) => !document.querySelector(`[data-testid="schedule-row"][data-subscription="${id}"]`), s.id)
  assert.equal(await text(page.locator(`${byTestId('subscription-row')}[data-id="${s.id}"] ${byTestId('subscription-status')}`)), '已暂停')
  assert.equal((await api(page, `/subscriptions/${s.id}`)).status, 'paused')

  await panel.locator(byTestId('subscription-resume-on')).fill(s.first)
  await panel.locator(byTestId('subscription-resume')).click()
  await page.locator(`${byTestId('subscription-detail-status')}`).filter({ hasText: '生效中' }).waitFor()
  await scheduleRow(page, s.id, s.first).waitFor()
  assert.equal((await api(page, `/subscriptions/${s.id}`)).status, 'active')
})

test('settings: owners change the no-answer policy; a role without service.manage only reads', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const s = await startOne(page)
  await openSubscriptions(page)
  const settings = page.locator(byTestId('subscription-settings'))
  const before = await api(page, '/subscriptions/settings')
  assert.equal(await settings.locator(byTestId('subscription-settings-no-answer')).inputValue(), before.on_no_answer)
  assert.equal(await settings.locator(byTestId('subscription-settings-ask-days')).inputValue(), String(before.ask_days_before))
  assert.equal(await settings.locator(byTestId('subscription-settings-cutoff-at')).inputValue(), before.cutoff_at)
  assert.deepEqual(
    (await settings.locator(`${byTestId('subscription-settings-no-answer')} option`).allInnerTexts()).map((x) => x.trim()),
    ['不发货（计为未回复）', '照常发货'],
  )
  const other = before.on_no_answer === 'hold' ? 'ship' : 'hold'
  await settings.locator(byTestId('subscription-settings-no-answer')).selectOption(other)
  await settings.locator(byTestId('subscription-settings-save')).click()
  await settings.locator(byTestId('subscription-settings-saved')).waitFor()
  assert.equal((await api(page, '/subscriptions/settings')).on_no_answer, other)
  await settings.locator(byTestId('subscription-settings-no-answer')).selectOption(before.on_no_answer)
  await settings.locator(byTestId('subscription-settings-save')).click()
  await page.waitForFunction(
    async (want) => (await (await fetch('/api/v1/subscriptions/settings')).json()).on_no_answer === want,
    before.on_no_answer,
  )

  // The analyst reads the page, the panel and the settings, and may act on nothing.
  await page.context().clearCookies()
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openSubscriptions(page)
  await page.locator(`${byTestId('subscription-row')}[data-id="${s.id}"]`).click()
  const panel = page.locator(`${byTestId('subscription-detail')}[data-id="${s.id}"]`)
  await panel.locator(byTestId('subscription-shipment')).first().waitFor()
  assert.equal(await panel.locator(byTestId('subscription-actions')).count(), 0)
  assert.equal(await panel.locator(byTestId('shipment-skip')).count(), 0)
  assert.equal(await page.locator(byTestId('subscription-settings-save')).count(), 0)
  assert.ok(await page.locator(byTestId('subscription-settings-no-answer')).isDisabled())
  assert.match(await text(page.locator(byTestId('subscription-settings-readonly'))), /只有店主和运营/)
})

test('with no subscription yet, 定期购 explains the event and the confirmation flow', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  // A store without subscriptions: the API's answers for one (the offers stay the demo's).
  await page.route(/\/api\/v1\/subscriptions\?/, (route) => route.fulfill({ json: { subscriptions: [], total: 0 } }))
  await page.route(/\/api\/v1\/subscriptions\/schedule\?/, async (route) => {
    const real = await (await route.fetch()).json()
    await route.fulfill({ json: { ...real, shipments: [], going_out: 0 } })
  })
  await openSubscriptions(page)
  const empty = page.locator(byTestId('subscriptions-empty'))
  await empty.waitFor()
  const words = await text(empty)
  assert.match(words, /还没有定期购/)
  for (const hint of ['Subscription Started', 'subscription_id', 'every_days', 'first_ship_on', 'Shipment Confirmation Requested', '定期购确认', 'Shipment Skipped', '发货表']) {
    assert.ok(words.includes(hint), `the explanation mentions ${hint}`)
  }
  assert.equal(await page.locator(byTestId('subscription-row')).count(), 0)
  assert.match(await text(page.locator(byTestId('subscription-schedule'))), /这段时间没有定期购发货/)
  // The offers are the store's own, whatever the subscriptions.
  const offers = await api(page, '/subscriptions/offers?limit=20')
  assert.equal(await page.locator(byTestId('offer-row')).count(), offers.offers.length)
  if (offers.offers.length) {
    const o = offers.offers[0]
    assert.equal(await text(page.locator(byTestId('offer-row')).first().locator(byTestId('offer-every'))), `每 ${o.every_days} 天`)
  }
  await empty.locator(byTestId('subscriptions-empty-journeys')).click()
  await page.waitForURL(/\/journeys$/)
})
