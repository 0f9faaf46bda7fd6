// Browser tests of the live room (直播, docs/live.md) against a running server with the demo
// store loaded (see lib.mjs): a session put in the schedule, its monitor opened from the list,
// then viewers' events sent through /v1/batch step by step while the page, without a reload,
// follows the Server-Sent Events; and the review (复盘) of a session that has ended.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'
import { enter, putSessions, regulars, send, track, viewer } from './liveEvents.mjs'

const TIMEOUT = 180_000
const freshPage = pagesPerTest()

/** The big figure `id` of the monitor or the review, as shown. */
const figure = (page, id) => page.locator(byTestId(`${id}-value`)).innerText()

/** Waits until figure `id` reads `text` (the page updates it from the stream). */
async function figureIs(page, id, text) {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.textContent?.trim() === want,
    [byTestId(`${id}-value`), text],
  )
}

/** The comment ids of the questions waiting, in the order shown. */
const waitingIds = (page) =>
  page.locator(byTestId('live-question')).evaluateAll((els) => els.map((e) => e.getAttribute('data-comment')))

test('the monitor follows a running session as events arrive: viewers, loyal fans, questions waiting and answered, an order', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const fans = await regulars(page, 2)
  assert.equal(fans.length, 2, 'the demo store has people who watched earlier sessions')
  assert.ok(fans[0].private, 'one of them is in the private domain')

  // A session that started now and has not ended.
  const stamp = Date.now()
  const id = `e2e-live-${stamp}`
  const title = `草莓专场-${stamp}`
  const now = new Date().toISOString()
  await putSessions(page, [{ id, title, topics: ['水果'], host: '小林', scheduled_start: now, started_at: now }])

  // From the nav: the list shows it live, with its monitor.
  assert.equal((await page.locator(byTestId('nav-live')).innerText()).trim(), '直播')
  await page.click(byTestId('nav-live'))
  const row = page.locator(`${byTestId('live-session')}[data-id="${id}"]`)
  await row.waitFor()
  assert.equal((await row.locator(byTestId('live-session-status')).innerText()).trim(), '直播中')
  assert.equal(await row.locator(byTestId('live-session-review')).count(), 0, 'no review while it runs')
  await row.locator(byTestId('live-session-monitor')).click()
  await page.waitForURL((url) => url.pathname === `/live/${id}`)
  await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent?.trim() === want, [byTestId('live-title'), title])
  await page.locator(`${byTestId('live-connection')}[data-state="live"]`).waitFor()
  await figureIs(page, 'live-concurrent', '0')
  assert.match(await page.locator(byTestId('live-connection')).innerText(), /实时更新中/)
  // Everything below arrives over the stream: a reload would lose this mark.
  await page.evaluate(() => (window.__sameMonitor = true))

  // Step 1: three anonymous viewers come in.
  const viewers = [1, 2, 3].map((i) => viewer(`e2e-live-${stamp}-v${i}`))
  await send(page, viewers.flatMap((v) => enter(v, id)))
  await figureIs(page, 'live-concurrent', '3')
  await figureIs(page, 'live-viewers', '3')
  const composition = page.locator(byTestId('live-composition'))
  assert.match(await composition.innerText(), /100% 是公域用户/)

  // Step 2: two regulars of the store join; the host sees them to thank by name.
  const regularsWho = fans.map((f, i) => viewer(`e2e-live-${stamp}-r${i}`, f.phone))
  await send(page, regularsWho.flatMap((v) => enter(v, id)))
  await figureIs(page, 'live-concurrent', '5')
  const loyal = page.locator(`${byTestId('live-loyal')} ${byTestId('live-loyal-row')}`)
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, `${byTestId('live-loyal')} ${byTestId('live-loyal-row')}`)
  const loyalPeople = await loyal.evaluateAll((els) => els.map((e) => e.getAttribute('data-person')))
  assert.deepEqual(new Set(loyalPeople), new Set(fans.map((f) => f.id)))
  assert.match(await loyal.first().innerText(), /第 \d+ 场/)
  assert.match(await composition.innerText(), /老观众/)

  // Step 3: an anonymous viewer asks, then a regular in the private domain asks after them.
  await send(page, [
    track(viewers[0], 'Live Commented', { session_id: id, comment_id: `q1-${stamp}`, text: '牛奶开了能放几天？', is_question: true }),
  ])
  await page.locator(`${byTestId('live-question')}[data-comment="q1-${stamp}"]`).waitFor()
  assert.equal((await page.locator(byTestId('live-question-text')).first().innerText()).trim(), '牛奶开了能放几天？')
  await send(page, [
    track(regularsWho[0], 'Live Commented', { session_id: id, comment_id: `q2-${stamp}`, text: '老客有优惠券吗？', is_question: true }),
  ])
  await page.locator(`${byTestId('live-question')}[data-comment="q2-${stamp}"]`).waitFor()
  // The private domain's question first, though asked later (seed 004).
  assert.deepEqual(await waitingIds(page), [`q2-${stamp}`, `q1-${stamp}`])
  assert.equal(await page.locator(`${byTestId('live-question')}[data-comment="q2-${stamp}"] ${byTestId('live-question-private')}`).count(), 1)
  assert.equal((await page.locator(byTestId('live-waiting-count')).innerText()).trim(), '2')
  // The store's knowledge base suggests an answer to what it knows, and nothing to what it does not.
  const suggestion = (c) => page.locator(`${byTestId('live-question')}[data-comment="${c}-${stamp}"] ${byTestId('live-question-suggestion')}`)
  assert.equal(await suggestion('q1').getAttribute('data-entry'), 'shelf-life-milk')
  assert.match(await suggestion('q1').innerText(), /知识库建议回答/)
  assert.equal(await suggestion('q2').count(), 0)
  // The age ticks on between updates.
  const age = page.locator(`${byTestId('live-question')}[data-comment="q1-${stamp}"] ${byTestId('live-question-age')}`)
  const before = await age.innerText()
  await page.waitForFunction(([sel, was]) => document.querySelector(sel)?.textContent?.trim() !== was.trim(), [
    `${byTestId('live-question')}[data-comment="q1-${stamp}"] ${byTestId('live-question-age')}`,
    before,
  ])
  assert.match(await age.innerText(), /已等 \d+ 秒/)

  // Step 4: the second viewer orders in the room.
  await send(page, [
    track(viewers[1], 'Order Completed', {
      order_id: `e2e-live-order-${stamp}`,
      revenue: 59.9,
      currency: 'CNY',
      session_id: id,
      products: [{ sku: `e2e-berry-${stamp}`, name: '丹东草莓 2 斤装', category: '水果', price: 59.9, quantity: 1 }],
    }),
  ])
  await figureIs(page, 'live-orders', '1')
  await figureIs(page, 'live-buyers', '1')
  assert.equal(await figure(page, 'live-gmv'), '¥59.90')
  await page.locator(byTestId('live-product')).filter({ hasText: '丹东草莓 2 斤装' }).waitFor()

  // Step 5: the host answers the first question: it leaves the list, the other stays.
  await send(page, [track(viewers[0], 'Live Replied', { session_id: id, comment_id: `q1-${stamp}`, host: '小林' })])
  await page.waitForFunction((sel) => !document.querySelector(sel), `${byTestId('live-question')}[data-comment="q1-${stamp}"]`)
  assert.deepEqual(await waitingIds(page), [`q2-${stamp}`])
  assert.equal((await page.locator(`${byTestId('live-questions-answered')} dd`).first().innerText()).trim(), '1')
  await send(page, [track(regularsWho[0], 'Live Replied', { session_id: id, comment_id: `q2-${stamp}` })])
  await page.locator(byTestId('live-waiting-empty')).waitFor()
  assert.equal((await page.locator(`${byTestId('live-questions-fast')} dd`).first().innerText()).trim(), '100%')

  // A viewer leaves.
  await send(page, [track(viewers[2], 'Live Left', { session_id: id })])
  await figureIs(page, 'live-concurrent', '4')
  assert.equal(await figure(page, 'live-viewers'), '5')
  assert.equal(await page.evaluate(() => window.__sameMonitor), true, 'the page was not reloaded')
  await page.locator(`${byTestId('live-recent-chart')} canvas`).first().waitFor()
})

test('while the stream is down the monitor says it is reconnecting, then resumes by itself', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const stamp = Date.now()
  const id = `e2e-reconnect-${stamp}`
  const now = new Date().toISOString()
  await putSessions(page, [{ id, title: `断线重连-${stamp}`, host: '小林', scheduled_start: now, started_at: now }])

  // The stream cannot be reached: the page says so (with the snapshot it could read).
  const stream = `**/api/v1/live/sessions/${id}/monitor/stream**`
  await page.route(stream, (route) => route.abort('connectionreset'))
  await page.goto(`${baseUrl()}/live/${id}`)
  const connection = page.locator(byTestId('live-connection'))
  await page.locator(`${byTestId('live-connection')}[data-state="reconnecting"]`).waitFor()
  assert.match(await connection.innerText(), /连接中断，正在重连/)

  // Back: it follows the room again without a reload.
  await page.unroute(stream)
  await page.locator(`${byTestId('live-connection')}[data-state="live"]`).waitFor()
  await send(page, enter(viewer(`e2e-reconnect-${stamp}-v1`), id))
  await figureIs(page, 'live-concurrent', '1')
})

test('the review of an ended session: figures against earlier sessions, the retention curve with its stall, watch time, questions and the CSVs', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))

  // A session of 20 minutes that ended two and a half hours ago, replayed from its events.
  const stamp = Date.now()
  const id = `e2e-review-${stamp}`
  const start = new Date(Date.now() - 3 * 3600_000)
  const at = (minutes, seconds = 0) => new Date(start.getTime() + minutes * 60_000 + seconds * 1000)
  const viewers = [1, 2, 3, 4, 5, 6].map((i) => viewer(`e2e-review-${stamp}-v${i}`))
  const events = []
  viewers.forEach((v, i) => {
    events.push(track(v, 'Live Entered', { session_id: id }, at(i % 3, 5)))
    // Heartbeats every 30 s until they leave: the first two stay to the end, the others leave
    // after the stall at minute 10 (the last two) or early (the middle two).
    const leave = i < 2 ? 20 : i < 4 ? 6 : 11
    for (let s = (i % 3) * 60 + 35; s < leave * 60; s += 30) events.push(track(v, 'Live Watched', { session_id: id, seconds: 30 }, at(0, s)))
    events.push(track(v, 'Live Left', { session_id: id }, at(leave)))
  })
  for (const v of [viewers[0], viewers[4], viewers[5]]) events.push(track(v, 'Live Stalled', { session_id: id, seconds: 8 }, at(10, 10)))
  events.push(track(viewers[0], 'Live Commented', { session_id: id, comment_id: `r1-${stamp}`, text: '怎么保存？', is_question: true }, at(5)))
  events.push(track(viewers[0], 'Live Replied', { session_id: id, comment_id: `r1-${stamp}` }, at(5, 12)))
  events.push(track(viewers[1], 'Live Commented', { session_id: id, comment_id: `r2-${stamp}`, text: '发顺丰吗？', is_question: true }, at(7)))
  events.push(track(viewers[1], 'Live Liked', { session_id: id }, at(8)))
  events.push(
    track(viewers[0], 'Order Completed', {
      order_id: `e2e-review-order-${stamp}`,
      revenue: 128,
      session_id: id,
      products: [{ sku: `e2e-oats-${stamp}`, name: '有机燕麦 1kg', category: '谷物', price: 64, quantity: 2 }],
    }, at(12)),
  )
  await send(page, events)
  await putSessions(page, [
    { id, title: `燕麦复盘-${stamp}`, topics: ['谷物'], host: '阿青', scheduled_start: start.toISOString(), started_at: start.toISOString(), ended_at: at(20).toISOString() },
  ])

  // From the list: ended, with its review.
  await page.goto(`${baseUrl()}/live`)
  const row = page.locator(`${byTestId('live-session')}[data-id="${id}"]`)
  await row.waitFor()
  assert.equal((await row.locator(byTestId('live-session-status')).innerText()).trim(), '已结束')
  await row.locator(byTestId('live-session-review')).click()
  await page.waitForURL((url) => url.pathname === `/live/${id}/review`)
  await page.locator(`${byTestId('review-curve-chart')} canvas`).first().waitFor()
  await page.locator(`${byTestId('review-watch-chart')} canvas`).first().waitFor()
  await settle(page)

  assert.equal(await figure(page, 'review-viewers'), '6')
  assert.equal(await figure(page, 'review-peak-concurrent'), '6')
  assert.equal(await figure(page, 'review-conversion-rate'), '16.7%')
  assert.equal(await figure(page, 'review-fast-share'), '50%')
  // The demo's sessions before it are the comparison.
  const viewersCard = await page.locator(byTestId('review-viewers')).innerText()
  assert.match(viewersCard, /往场中位数 [\d.]+（\d+ 场）/)
  assert.match(viewersCard, /高于 \d+% 的往场|同时段/)
  assert.equal(await figure(page, 'review-gmv'), '¥128.00')
  assert.match(await page.locator(byTestId('review-gmv')).innerText(), /订单 1 笔，下单 1 人/)
  assert.match(await page.locator(byTestId('review-stalls')).innerText(), /卡顿 3 次，影响 3 位观众/)
  assert.equal((await page.locator(`${byTestId('review-questions-asked')} dd`).innerText()).trim(), '2')
  assert.equal((await page.locator(`${byTestId('review-questions-unanswered')} dd`).innerText()).trim(), '1')
  assert.equal((await page.locator(`${byTestId('review-questions-median')} dd`).innerText()).trim(), '12 秒')
  await page.locator(byTestId('review-product')).filter({ hasText: '有机燕麦 1kg' }).waitFor()
  assert.match(await page.locator(byTestId('review-audience-new')).innerText(), /新观众\s*6/)

  // The three CSVs download with the session cookie, headed in Chinese.
  for (const [part, words] of [['figures', /观看人数/], ['curve', /分钟,在线人数/], ['products', /有机燕麦 1kg/]]) {
    const href = await page.locator(byTestId(`review-csv-${part}`)).getAttribute('href')
    const url = new URL(href, baseUrl())
    assert.equal(url.searchParams.get('part'), part)
    assert.equal(url.searchParams.get('lang'), 'zh-CN')
    const res = await page.request.get(url.toString())
    assert.equal(res.status(), 200, `${part}: ${await res.text()}`)
    assert.match(res.headers()['content-type'] ?? '', /text\/csv/)
    assert.match(await res.text(), words)
  }
})

test('a demo session that ended opens from the list into its review with the curve drawn', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.click(byTestId('nav-live'))
  const ended = page.locator(`${byTestId('live-session')}[data-status="ended"]:not([data-id^="e2e-"])`)
  await ended.first().waitFor()
  await ended.first().locator(byTestId('live-session-review')).click()
  await page.locator(`${byTestId('review-curve-chart')} canvas`).first().waitFor()
  const viewers = Number((await figure(page, 'review-viewers')).replace(/,/g, ''))
  assert.ok(viewers > 0, `the demo session had viewers (${viewers})`)
  assert.match(await page.locator(byTestId('review-watch-time')).innerText(), /观看时长分布/)
})
