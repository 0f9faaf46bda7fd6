// Browser tests of the referral programme (老带新) against a running server with the demo store
// loaded (see lib.mjs): the page's figures and leaderboard agree with the API, an inviter's page
// has their code, share link and friends, the empty state explains how referral works, and a
// friend's timeline names the reward earned. Nothing here changes the store but the referral
// codes the server makes on first asking (the same code ever after).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, openPerson, pagesPerTest, settle } from './lib.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()

const text = async (locator) => (await locator.first().innerText()).trim()
const api = async (page, path) => {
  const r = await page.request.get(`${baseUrl()}/api/v1${path}`)
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`)
  return r.json()
}
const zhCount = (n) => n.toLocaleString('zh-CN')
/** A time as the console shows it: the store's zone, zh-CN, to the minute (2026/11/13 21:29). */
const DATE_TIME = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/

/** Opens 老带新 from the sidebar and waits for its figures. */
async function openReferrals(page) {
  const nav = page.locator(byTestId('nav-referrals'))
  assert.equal(await text(nav), '老带新')
  await nav.click()
  await page.waitForSelector(byTestId('referral-figure-share'))
  await settle(page)
}

const figure = (page, id) => page.locator(`${byTestId(`referral-figure-${id}`)} ${byTestId('referral-figure-value')}`)
const figureDetail = (page, id) => page.locator(`${byTestId(`referral-figure-${id}`)} ${byTestId('referral-figure-detail')}`)

test('老带新 shows the programme’s figures and its leaderboard, agreeing with the API', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openReferrals(page)
  const o = await api(page, '/referrals?limit=20')
  assert.ok(o.invitees > 0 && o.leaderboard.length > 0, 'the demo store has referrals')

  assert.equal(await text(page.locator('h1')), '老带新')
  assert.equal(await text(page.locator(`${byTestId('referral-figure-invitees')} .kpi-label`)), '被邀请的新客')
  assert.equal(await text(figure(page, 'invitees')), zhCount(o.invitees))
  assert.equal(await text(figure(page, 'converted')), zhCount(o.converted))
  assert.equal(await text(figure(page, 'inviters')), zhCount(o.inviters))
  assert.equal(await text(page.locator(`${byTestId('referral-figure-share')} .kpi-label`)), '近30天老带新占比')
  assert.match(await text(figure(page, 'share')), /^\d+(\.\d)?%$/)
  assert.equal(
    await text(figureDetail(page, 'share')),
    `${zhCount(o.referred_30d)} / ${zhCount(o.new_buyers_30d)} 位新客`,
  )
  assert.equal(await page.locator(byTestId('referrals-empty')).count(), 0, 'no explanation when there are referrals')

  // The leaderboard: Chinese headers, one row per inviter, the first as the API ranks it.
  const board = page.locator(byTestId('referral-leaderboard'))
  assert.deepEqual(
    (await board.locator('th').allInnerTexts()).map((s) => s.trim()),
    ['排名', '邀请人', '邀请好友数', '已下单', '带来消费', '最近邀请'],
  )
  const rows = page.locator(byTestId('referral-row'))
  assert.equal(await rows.count(), o.leaderboard.length)
  const first = rows.first()
  const top = o.leaderboard[0]
  assert.equal(await text(first.locator(byTestId('referral-rank'))), '1')
  assert.equal(await text(first.locator(byTestId('referral-inviter'))), top.name)
  assert.equal(await text(first.locator(byTestId('referral-invited'))), zhCount(top.invited))
  assert.equal(await text(first.locator(byTestId('referral-converted'))), zhCount(top.converted))
  const yuan = (top.revenue_fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  assert.equal(await text(first.locator(byTestId('referral-revenue'))), `¥${yuan}`)
  assert.match(await text(first.locator(byTestId('referral-latest'))), DATE_TIME)

  // The inviter's name opens their page, whose 推荐 card counts the same friends.
  await first.locator(`${byTestId('referral-inviter')} a`).click()
  await page.waitForSelector(byTestId('person-view'))
  const card = page.locator(byTestId('person-referral'))
  await card.locator(byTestId('person-referral-code')).waitFor()
  assert.equal(new URL(page.url()).pathname, `/people/${top.person}`)
  assert.equal(await text(card.locator(byTestId('person-referral-invited'))), zhCount(top.invited))
  assert.equal(await text(card.locator(byTestId('person-referral-converted'))), zhCount(top.converted))
  const friends = card.locator(byTestId('person-referral-friend'))
  assert.equal(await friends.count(), Math.min(top.invited, 100))
  assert.match(await text(friends.first().locator('td').nth(1)), DATE_TIME)
})

test('a person’s 推荐 card shows their code, share link, inviter and friends, and the code stays the same', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openPerson(page, env('REKINDLE_PHONE'))
  const card = page.locator(byTestId('person-referral'))
  await card.locator(byTestId('person-referral-code')).waitFor()
  await settle(page)
  assert.equal(await text(card.locator('h2')), '推荐')

  const id = new URL(page.url()).pathname.split('/').pop()
  const r = await api(page, `/people/${id}/referral`)
  const code = await text(card.locator(byTestId('person-referral-code')))
  assert.match(code, /^[0-9A-Z]{4,}$/)
  assert.equal(code, r.code)
  const link = await text(card.locator(byTestId('person-referral-link')))
  assert.equal(link, r.share_link)
  assert.ok(link.includes(code), 'the share link carries the code')
  assert.equal(await text(card.locator(byTestId('person-referral-copy-code'))), '复制邀请码')
  assert.equal(await text(card.locator(byTestId('person-referral-copy-link'))), '复制链接')

  const invitedBy = card.locator(byTestId('person-referral-invited-by'))
  if (r.invited_by) {
    assert.equal(await invitedBy.locator('a').getAttribute('href'), `/people/${r.invited_by.person}`)
  } else {
    assert.equal(await text(invitedBy), '—')
  }
  assert.equal(await text(card.locator(byTestId('person-referral-invited'))), zhCount(r.invited))
  const friends = card.locator(byTestId('person-referral-friend'))
  assert.equal(await friends.count(), r.friends.length)
  if (!r.friends.length) assert.match(await text(card.locator('p.muted')), /还没有邀请过好友/)
  for (const [i, f] of r.friends.entries()) {
    const cell = await text(friends.nth(i).locator('td').nth(2))
    if (f.first_order_at) assert.match(cell, DATE_TIME)
    else assert.equal(cell, '未下单')
  }

  // The code is made once: the page shows the same one when it loads again.
  await page.reload()
  await card.locator(byTestId('person-referral-code')).waitFor()
  assert.equal(await text(card.locator(byTestId('person-referral-code'))), code)
})

test('an invited friend’s page links back to the inviter, and their timeline names the reward earned', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const o = await api(page, '/referrals?limit=5')
  const inviter = o.leaderboard[0]
  const r = await api(page, `/people/${inviter.person}/referral`)
  const friend = r.friends.find((f) => f.first_order_at)
  assert.ok(friend, 'the top inviter has a friend who ordered')

  await page.goto(`${baseUrl()}/people/${friend.person}`)
  const card = page.locator(byTestId('person-referral'))
  const by = card.locator(`${byTestId('person-referral-invited-by')} a`)
  await by.waitFor()
  assert.equal(await by.getAttribute('href'), `/people/${inviter.person}`)
  assert.equal(await text(by), inviter.name)

  // Referral Qualified is in the friend's history at their first order: page back to it.
  const reward = page.locator(byTestId('timeline-event'), { hasText: '邀请奖励达成' })
  for (let i = 0; i < 20 && !(await reward.count()); i++) {
    const more = page.locator(byTestId('timeline-more'))
    await settle(page)
    if (!(await more.count())) break
    await more.click()
    await settle(page)
  }
  assert.ok((await reward.count()) > 0, 'the timeline shows 邀请奖励达成')
  assert.match(await text(reward), /好友首单|好友进群/)
})

test('with no referral yet, 老带新 explains how the programme works', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  // A store that has not started: the API's answer for one, in place of the demo's.
  await page.route('**/api/v1/referrals?*', (route) =>
    route.fulfill({
      json: { invitees: 0, converted: 0, inviters: 0, new_buyers_30d: 12, referred_30d: 0, referral_share_30d: 0, leaderboard: [] },
    }),
  )
  await openReferrals(page)
  assert.equal(await text(figure(page, 'invitees')), '0')
  assert.equal(await text(figureDetail(page, 'share')), '0 / 12 位新客')
  const empty = page.locator(byTestId('referrals-empty'))
  await empty.waitFor()
  const words = await text(empty)
  assert.match(words, /还没有老带新数据/)
  for (const hint of ['邀请码', '分享链接', 'invited_by', '推荐有礼', '被邀请 且 订单数 <= 1']) {
    assert.ok(words.includes(hint), `the explanation mentions ${hint}`)
  }
  assert.equal(await page.locator(byTestId('referral-row')).count(), 0)
  assert.match(await text(page.locator(byTestId('referral-leaderboard'))), /还没有人成功邀请过好友/)
  await empty.locator(byTestId('referrals-empty-journeys')).click()
  await page.waitForURL(/\/journeys$/)
})

test('the segment editor offers the referral rule words: an example and the condition builder', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.goto(`${baseUrl()}/segments/new`)
  await page.click(byTestId('rule-example-invitedNew'))
  const rule = page.locator(byTestId('segment-rule-input'))
  assert.equal(await rule.inputValue(), '被邀请 且 订单数 <= 1')
  await page.locator(byTestId('preview-count')).waitFor()
  await settle(page)
  const me = await (await page.request.get(`${baseUrl()}/api/v1/auth/me`)).json()
  const preview = await (
    await page.request.post(`${baseUrl()}/api/v1/segments/preview`, {
      data: { rule: '被邀请 且 订单数 <= 1' },
      headers: { 'X-CSRF-Token': me.csrf_token },
    })
  ).json()
  assert.ok(preview.count > 0, 'the demo has invited customers with at most one order')
  assert.equal(await text(page.locator(byTestId('preview-count'))), zhCount(preview.count))

  await page.click(byTestId('rule-builder-toggle'))
  const row = page.locator(byTestId('rule-builder-row')).first()
  const fields = (await row.locator(`${byTestId('rule-builder-field')} option`).allInnerTexts()).map((s) => s.trim())
  assert.ok(fields.includes('邀请好友数') && fields.includes('被邀请'), fields.join(' '))
  await row.locator(byTestId('rule-builder-field')).selectOption('invited')
  await row.locator(byTestId('rule-builder-value')).fill('3')
  assert.equal(await text(page.locator(byTestId('rule-builder-preview'))), '邀请好友数 >= 3')
  await row.locator(byTestId('rule-builder-field')).selectOption('invitedBy')
  assert.equal(await text(page.locator(byTestId('rule-builder-preview'))), '被邀请')
})
