// Browser tests of the content review (晒单) against a running server with the demo store loaded
// (see lib.mjs). Two pieces of content are submitted as `UGC Submitted` through /v1/batch with the
// demo's write key; the page lists them as cards (customer, kind, text, pictures or a video link,
// products, order, time), one is approved and one rejected with a reason in the page, and the
// tabs and the API agree on where each went; a role without journeys.manage only reads; with no
// content, the page explains where it comes from. These tests add content and reviews to the store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'
import { send, track } from './liveEvents.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()

const text = async (locator) => (await locator.first().innerText()).trim()
const api = async (page, path) => {
  const r = await page.request.get(`${baseUrl()}/api/v1${path}`)
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`)
  return r.json()
}
/** A time as the console shows it: the store's zone, zh-CN, to the minute (2026/11/13 21:29). */
const DATE_TIME = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/
const PICTURE = `data:image/svg+xml;utf8,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" width="88" height="88"><rect width="88" height="88" fill="#e8590c"/></svg>')}`

/** A customer of the store with a nickname, by user id. */
const identify = (userId, nickname) => ({
  type: 'identify',
  messageId: `e2e-ugc-identify-${userId}`,
  userId,
  traits: { nickname },
  timestamp: new Date().toISOString(),
})

/** Submits two pieces of content of one new customer; waits until the API lists them. */
async function submitTwo(page) {
  const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`
  const who = { userId: `e2e-ugc-${stamp}` }
  const name = `晒单顾客${stamp.slice(-4)}`
  const recipe = {
    ugc_id: `ugc-${stamp}-a`,
    kind: 'recipe',
    text: '草莓酸奶杯：草莓切丁，铺在酸奶上，撒一把燕麦，冷藏十分钟。',
    media: [PICTURE, 'https://img.example.com/ugc/berry-cup.jpg'],
    order_id: `o-${stamp}`,
    products: [{ sku: 'berry-500g' }, { sku: 'yogurt-1l' }],
  }
  const video = {
    ugc_id: `ugc-${stamp}-b`,
    kind: 'video',
    text: '开箱视频',
    media: ['https://video.example.com/ugc/unbox.mp4'],
    sku: 'oat-1kg',
  }
  const at = new Date()
  await send(page, [
    identify(who.userId, name),
    track(who, 'UGC Submitted', recipe, new Date(at.getTime() - 60_000)),
    track(who, 'UGC Submitted', video, at),
  ])
  for (let i = 0; i < 100; i++) {
    const l = await api(page, '/ugc?status=pending&limit=500')
    const a = l.items.find((x) => x.id === recipe.ugc_id)
    const b = l.items.find((x) => x.id === video.ugc_id)
    if (a && b && a.name === name) return { name, recipe, video, person: a.person }
    await page.waitForTimeout(100)
  }
  assert.fail('the submitted content was not listed')
}

const card = (page, id) => page.locator(`${byTestId('ugc-item')}[data-id="${id}"]`)

/** Opens 晒单 from the sidebar and waits for the queue. */
async function openUgc(page) {
  const nav = page.locator(byTestId('nav-ugc'))
  assert.equal(await text(nav), '晒单')
  await nav.click()
  await page.locator(byTestId('ugc-pending-count')).waitFor()
  await settle(page)
}

test('晒单 lists submitted content as cards; approving one and rejecting another moves them between the tabs as the API does', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const { name, recipe, video, person } = await submitTwo(page)
  await openUgc(page)

  assert.equal(await text(page.locator('h1')), '晒单审核')
  assert.deepEqual(
    (await page.locator(`${byTestId('ugc-tabs')} button`).allInnerTexts()).map((s) => s.replace(/\s*\d[\d,]*$/, '').trim()),
    ['待审核', '已通过', '未通过', '全部'],
  )
  const before = await api(page, '/ugc?status=pending&limit=500')
  assert.equal(await text(page.locator(byTestId('ugc-pending-count'))), before.pending.toLocaleString('zh-CN'))
  assert.equal(await page.locator(byTestId('ugc-item')).count(), Math.min(before.items.length, 200))
  assert.equal(await page.locator(byTestId('ugc-empty')).count(), 0)

  // The recipe: customer, kind, text, pictures, products, order and time.
  const a = card(page, recipe.ugc_id)
  await a.waitFor()
  assert.equal(await a.getAttribute('data-status'), 'pending')
  assert.equal(await text(a.locator(byTestId('ugc-person'))), name)
  assert.equal(await a.locator(byTestId('ugc-person')).getAttribute('href'), `/people/${person}`)
  assert.equal(await text(a.locator(byTestId('ugc-kind'))), '菜谱')
  assert.equal(await text(a.locator(byTestId('ugc-status'))), '待审核')
  assert.equal(await text(a.locator(byTestId('ugc-text'))), recipe.text)
  assert.equal(await a.locator(byTestId('ugc-image')).count(), 2)
  assert.equal(await a.locator(byTestId('ugc-video')).count(), 0)
  assert.deepEqual((await a.locator(`${byTestId('ugc-skus')} .tag`).allInnerTexts()).map((s) => s.trim()), ['berry-500g', 'yogurt-1l'])
  assert.equal(await text(a.locator(byTestId('ugc-order'))), recipe.order_id)
  assert.match(await text(a.locator(byTestId('ugc-submitted'))), DATE_TIME)

  // The video: a link, not a picture.
  const b = card(page, video.ugc_id)
  assert.equal(await text(b.locator(byTestId('ugc-kind'))), '视频')
  assert.equal(await b.locator(byTestId('ugc-image')).count(), 0)
  assert.equal(await b.locator(byTestId('ugc-video')).getAttribute('href'), video.media[0])
  assert.deepEqual((await b.locator(`${byTestId('ugc-skus')} .tag`).allInnerTexts()).map((s) => s.trim()), ['oat-1kg'])
  assert.equal(await text(b.locator(byTestId('ugc-order'))), '—')
  // The queue is oldest first: the recipe came a minute before the video.
  const order = await page.locator(byTestId('ugc-item')).evaluateAll((els) => els.map((e) => e.dataset.id))
  assert.ok(order.indexOf(recipe.ugc_id) < order.indexOf(video.ugc_id), 'oldest first')

  // Approve the recipe: it says what follows, and the queue shrinks by one.
  await a.locator(byTestId('ugc-approve')).click()
  await page.locator(`${byTestId('ugc-item')}[data-id="${recipe.ugc_id}"][data-status="approved"]`).waitFor()
  assert.equal(await text(a.locator(byTestId('ugc-status'))), '已通过')
  assert.equal(
    await text(a.locator(byTestId('ugc-approved-note'))),
    '已通过：将发放 50 积分、「社区达人」标签和 5 元券（旅程「晒单奖励」已发布时）',
  )
  assert.match(await text(a.locator(byTestId('ugc-review'))), /^已通过 · \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}/)
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="ugc-pending-count"]')?.textContent?.trim() === n,
    (before.pending - 1).toLocaleString('zh-CN'),
  )

  // Reject the video with a reason.
  await b.locator(byTestId('ugc-reason')).fill('视频无法播放，请重新上传')
  await b.locator(byTestId('ugc-reject')).click()
  await page.locator(`${byTestId('ugc-item')}[data-id="${video.ugc_id}"][data-status="rejected"]`).waitFor()
  assert.equal(await text(b.locator(byTestId('ugc-status'))), '未通过')
  assert.equal(await text(b.locator(byTestId('ugc-review-reason'))), '理由：视频无法播放，请重新上传')
  assert.equal(await b.locator(byTestId('ugc-approved-note')).count(), 0)

  // The API has the same reviews.
  const approved = await api(page, '/ugc?status=approved&limit=500')
  const rejected = await api(page, '/ugc?status=rejected&limit=500')
  const pending = await api(page, '/ugc?status=pending&limit=500')
  assert.equal(approved.items.find((x) => x.id === recipe.ugc_id)?.review?.decision, 'approved')
  assert.equal(rejected.items.find((x) => x.id === video.ugc_id)?.review?.reason, '视频无法播放，请重新上传')
  assert.ok(!pending.items.some((x) => x.id === recipe.ugc_id || x.id === video.ugc_id), 'neither waits any more')
  assert.equal(pending.pending, before.pending - 2)
  assert.equal(await text(page.locator(byTestId('ugc-pending-count'))), pending.pending.toLocaleString('zh-CN'))
  const library = await api(page, '/ugc/library?sku=berry-500g')
  assert.ok(library.some((x) => x.id === recipe.ugc_id), 'the approved recipe is in the product’s library')

  // Each tab lists what the API lists for its status.
  for (const [tab, list, has, hasNot] of [
    ['approved', approved, recipe.ugc_id, video.ugc_id],
    ['rejected', rejected, video.ugc_id, recipe.ugc_id],
    ['pending', pending, null, null],
  ]) {
    await page.click(byTestId(`ugc-tab-${tab}`))
    await page.waitForFunction((s) => [...document.querySelectorAll('[data-testid="ugc-item"]')].every((e) => e.dataset.status === s), tab)
    await settle(page)
    assert.equal(new URL(page.url()).searchParams.get('status'), tab === 'pending' ? null : tab)
    const ids = await page.locator(byTestId('ugc-item')).evaluateAll((els) => els.map((e) => e.dataset.id))
    assert.deepEqual(ids, list.items.slice(0, 200).map((x) => x.id), tab)
    if (has) assert.ok(ids.includes(has), `${tab} lists ${has}`)
    if (hasNot) assert.ok(!ids.includes(hasNot), `${tab} does not list ${hasNot}`)
    if (tab === 'pending') assert.ok(!ids.includes(recipe.ugc_id) && !ids.includes(video.ugc_id))
  }
  await page.click(byTestId('ugc-tab-rejected'))
  const rejectedCard = card(page, video.ugc_id)
  await rejectedCard.waitFor()
  assert.equal(await text(rejectedCard.locator(byTestId('ugc-review-reason'))), '理由：视频无法播放，请重新上传')
  await page.click(byTestId('ugc-tab-all'))
  await card(page, recipe.ugc_id).waitFor()
  await card(page, video.ugc_id).waitFor()

  // The customer's timeline names both events.
  await card(page, recipe.ugc_id).locator(byTestId('ugc-person')).click()
  await page.waitForSelector(byTestId('person-view'))
  await page.locator(byTestId('timeline-event'), { hasText: '晒单审核' }).first().waitFor()
  assert.ok((await page.locator(byTestId('timeline-event'), { hasText: '晒单' }).count()) >= 3, 'two submissions and two reviews')
})

test('a role without journeys.manage reads the content but cannot review it', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const { recipe } = await submitTwo(page)
  await page.context().clearCookies()
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openUgc(page)
  const a = card(page, recipe.ugc_id)
  await a.waitFor()
  assert.equal(await text(a.locator(byTestId('ugc-kind'))), '菜谱')
  assert.equal(await page.locator(byTestId('ugc-approve')).count(), 0)
  assert.equal(await page.locator(byTestId('ugc-reject')).count(), 0)
  assert.equal(await page.locator(byTestId('ugc-reason')).count(), 0)
})

test('with no content yet, 晒单 explains how it arrives and how it is rewarded', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  // A store nobody shared in yet: the API's answer for one.
  await page.route(/\/api\/v1\/ugc\?/, (route) => route.fulfill({ json: { items: [], pending: 0 } }))
  await openUgc(page)
  const empty = page.locator(byTestId('ugc-empty'))
  await empty.waitFor()
  const words = await text(empty)
  assert.match(words, /还没有顾客晒单/)
  for (const hint of ['UGC Submitted', 'ugc_id', 'kind', 'media', 'order_id', 'products', '晒单邀请', '晒单奖励', 'UGC Reviewed']) {
    assert.ok(words.includes(hint), `the explanation mentions ${hint}`)
  }
  assert.equal(await text(page.locator(byTestId('ugc-pending-count'))), '0')
  assert.equal(await page.locator(byTestId('ugc-item')).count(), 0)
  await empty.locator(byTestId('ugc-empty-journeys')).click()
  await page.waitForURL(/\/journeys$/)
})
