// A live session replayed into the demo store, for the screenshots: a stream that started
// `minutes` ago, watched by the store's own people (so tiers, personas and loyal fans show)
// and by newcomers, with heartbeats, comments, likes, questions answered or waiting, a stall,
// and orders of the store's products. Deterministic (a fixed seed), stamped relative to now.
import assert from 'node:assert/strict'
import { baseUrl } from './lib.mjs'
import { putSessions, send, track, viewer } from './liveEvents.mjs'

/** A small seeded generator (mulberry32), so the replay looks the same each time. */
function random(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const QUESTIONS = ['草莓是今天现摘的吗？', '牛奶保质期多久？', '可以送到小区自提点吗？', '燕麦适合小朋友吃吗？', '买两箱有优惠吗？', '鸡蛋是散养的吗？']
const COMMENTS = ['看起来好新鲜！', '上次买的很好吃', '主播讲得好清楚', '已下单', '求链接', '支持！']

/**
 * Puts the session and sends its first `minutes` minutes; returns what the screenshot steps
 * need: the session id, `later()` which sends the events of the moment the screenshot is taken
 * (newcomers, questions, an order), and `end()` which ends the session now.
 */
export async function replayLive(page, { minutes = 24, seed = 20240605 } = {}) {
  const rnd = random(seed)
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)]
  const stamp = Date.now()
  const id = `demo-live-${stamp}`
  const now = Date.now()
  const start = new Date(now - minutes * 60_000)
  // Never ahead of the clock: a stamp in the future would be a viewer not yet there.
  const at = (s) => new Date(Math.min(start.getTime() + s * 1000, now - 1000))
  const endS = minutes * 60 - 5

  const people = await (await page.request.get(`${baseUrl()}/api/v1/people/list?sort=spend&per_page=60`)).json()
  const products = (await (await page.request.get(`${baseUrl()}/api/v1/products`)).json()).filter((p) =>
    ['水果', '乳品', '蛋', '谷物'].includes(p.category),
  )
  assert.ok(products.length >= 3, 'the demo catalogue has fruit, dairy, eggs or cereal')

  await putSessions(page, [
    { id, title: '周五鲜果乳品专场', topics: ['水果', '乳品'], host: '小林', scheduled_start: start.toISOString(), started_at: start.toISOString() },
  ])

  const known = people.people.filter((p) => p.phone).slice(0, 42).map((p, i) => viewer(`replay-${stamp}-p${i}`, p.phone))
  const newcomers = Array.from({ length: 26 }, (_, i) => viewer(`replay-${stamp}-n${i}`))
  const everyone = [...known, ...newcomers]
  /** Those who come in at the moment of the screenshot. */
  const late = Array.from({ length: 4 }, (_, i) => viewer(`replay-${stamp}-late${i}`))
  const events = []
  const present = []
  let order = 0
  for (const v of everyone) {
    // Most arrive in the first ten minutes; some leave, the rest stay.
    const enterS = Math.floor((rnd() < 0.7 ? rnd() * 600 : rnd() * (endS - 60)) + 5)
    const stays = rnd() < 0.72
    const leaveS = stays ? endS + 60 : Math.min(endS, enterS + 120 + Math.floor(rnd() * 600))
    events.push(track(v, 'Live Entered', { session_id: id }, at(enterS)))
    for (let s = enterS + 30; s < Math.min(leaveS, endS); s += 30) {
      events.push(track(v, 'Live Watched', { session_id: id, seconds: 30 }, at(s)))
      if (rnd() < 0.03) events.push(track(v, 'Live Commented', { session_id: id, text: pick(COMMENTS), is_question: false }, at(s + 7)))
      if (rnd() < 0.04) events.push(track(v, 'Live Liked', { session_id: id }, at(s + 12)))
      if (rnd() < 0.006) {
        const p = pick(products)
        const qty = 1 + Math.floor(rnd() * 2)
        order += 1
        events.push(
          track(v, 'Order Completed', {
            order_id: `replay-${stamp}-${order}`,
            revenue: (p.price * qty) / 100,
            currency: 'CNY',
            session_id: id,
            products: [{ sku: p.sku, name: p.name, category: p.category, price: p.price / 100, quantity: qty }],
          }, at(s + 20)),
        )
      }
    }
    if (!stays) events.push(track(v, 'Live Left', { session_id: id }, at(leaveS)))
    else present.push(v)
  }
  // Questions answered along the way, most within 30 seconds.
  for (let q = 0; q < 8; q++) {
    const v = pick(present)
    const s = 120 + q * 150
    const comment = `replay-${stamp}-q${q}`
    events.push(track(v, 'Live Commented', { session_id: id, comment_id: comment, text: pick(QUESTIONS), is_question: true }, at(s)))
    events.push(track(v, 'Live Replied', { session_id: id, comment_id: comment, host: '小林' }, at(s + (q % 3 === 2 ? 75 : 12 + q * 2))))
  }
  // A stall at minute 14 that sent a few away.
  for (const v of everyone.slice(0, 9)) events.push(track(v, 'Live Stalled', { session_id: id, seconds: 6 }, at(14 * 60 + 20)))

  for (let i = 0; i < events.length; i += 400) await send(page, events.slice(i, i + 400))

  /** The moment of the screenshot: newcomers, two questions waiting (a regular's and a newcomer's), an order. */
  async function later() {
    const t = new Date()
    const p = products[0]
    await send(page, [
      ...late.flatMap((v) => [track(v, 'Live Entered', { session_id: id }, t), track(v, 'Live Watched', { session_id: id, seconds: 15 }, t)]),
      track(late[0], 'Live Commented', { session_id: id, comment_id: `replay-${stamp}-w1`, text: '第一次来，怎么领新人券？', is_question: true }, new Date(t.getTime() - 40_000)),
      track(known[1], 'Live Commented', { session_id: id, comment_id: `replay-${stamp}-w2`, text: '上周的草莓还有吗？想再买两盒', is_question: true }, new Date(t.getTime() - 15_000)),
      track(known[3], 'Live Commented', { session_id: id, comment_id: `replay-${stamp}-w3`, text: '酸奶可以和牛奶一起下单吗？', is_question: true }, new Date(t.getTime() - 5_000)),
      track(known[2], 'Order Completed', {
        order_id: `replay-${stamp}-late`,
        revenue: (p.price * 2) / 100,
        currency: 'CNY',
        session_id: id,
        products: [{ sku: p.sku, name: p.name, category: p.category, price: p.price / 100, quantity: 2 }],
      }, t),
    ])
  }

  /** Ends the session now, for its review: the room empties as the stream stops. */
  async function end() {
    const t = new Date()
    await send(page, [...present, ...late].map((v) => track(v, 'Live Left', { session_id: id }, t)))
    await putSessions(page, [
      { id, title: '周五鲜果乳品专场', topics: ['水果', '乳品'], host: '小林', scheduled_start: start.toISOString(), started_at: start.toISOString(), ended_at: new Date().toISOString() },
    ])
  }

  return { id, later, end }
}
