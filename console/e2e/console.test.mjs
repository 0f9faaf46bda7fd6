// Browser tests of the console against a running server with the demo store loaded.
// Run with `npm run test:browser`; configuration comes from the environment (see lib.mjs).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, openPerson, pagesPerTest, settle, waitForCharts } from './lib.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()

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
    // Signing in and redeeming an invitation code (itself the credential) take no session.
    const open = ['/api/v1/auth/login', '/api/v1/auth/invitations/redeem']
    if (!path.startsWith('/api/v1') || open.includes(path)) continue
    const url =
      baseUrl() +
      path
        .replace('{person}', 'u1')
        .replace('{id}', '1')
        .replace('{slug}', 'default')
        .replace('{name}', 'VIP')
        .replace('{tag}', 'VIP')
    for (const method of Object.keys(item)) {
      const response = await page.request.fetch(url, { method: method.toUpperCase(), failOnStatusCode: false })
      assert.equal(response.status(), 401, `${method.toUpperCase()} ${path}`)
      assert.equal((await response.json()).code, 'unauthorized')
      checked += 1
    }
  }
  assert.ok(checked >= 25, `checked ${checked} routes`)
})

test('the owner sees which node leads the store, and that it is this one', { timeout: TIMEOUT }, async (t) => {
  const owner = await freshPage(t)
  await login(owner, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await owner.click(byTestId('nav-settings'))
  const nodes = owner.locator(byTestId('settings-nodes'))
  await nodes.locator(byTestId('nodes-leader')).waitFor()
  const leads = (await nodes.locator(byTestId('nodes-leads')).innerText()).trim()
  assert.ok(['当前节点是主节点', 'This node leads'].includes(leads), leads)
  const leader = await nodes.locator(byTestId('nodes-leader')).innerText()
  assert.match(leader, /:\d+/, 'the leader is named by host and process id')
})

test('owner invites a new operator, who sets their own password with the one-time code', { timeout: TIMEOUT }, async (t) => {
  const owner = await freshPage(t)
  await login(owner, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await owner.click(byTestId('nav-settings'))
  const users = owner.locator(byTestId('settings-users'))
  await users.waitFor()
  const email = `host-${Date.now()}@e2e.test`
  await users.locator('input[type="email"]').fill(email)
  await users.locator('form select').selectOption('host')
  await users.locator('form button[type="submit"]').click()
  const token = (await owner.locator(byTestId('invitation-token')).innerText()).trim()
  assert.match(token, /^rki_/)
  const pending = owner.locator(byTestId('invitation-row'), { hasText: email })
  await pending.waitFor()
  assert.equal(await owner.locator(byTestId('user-row'), { hasText: email }).count(), 0, 'not a member until accepted')

  const invitee = await freshPage(t)
  await invitee.goto(`${baseUrl()}/login?invitation=${encodeURIComponent(token)}`)
  await invitee.fill(byTestId('redeem-name'), 'E2E 主播')
  await invitee.fill(byTestId('redeem-password'), 'a long enough password')
  await invitee.click(byTestId('redeem-submit'))
  await invitee.waitForSelector(byTestId('redeemed'))
  await login(invitee, email, 'a long enough password')

  await owner.reload()
  await owner.locator(byTestId('user-row'), { hasText: email }).waitFor()
  assert.equal(await owner.locator(byTestId('invitation-row'), { hasText: email }).count(), 0)
})

/** The number in a formatted count such as `1,234`. */
const digits = (s) => Number(s.replace(/[^\d]/g, ''))

/** The persona segments every demo store has (rekindle-sim personas). */
const PERSONAS = ['尝鲜探索家', '家庭囤货王', '健康生活家', '懒人料理族']

/** Opens the segments list from the sidebar and waits for its rows. */
async function openSegments(page) {
  await page.click(byTestId('nav-segments'))
  await page.waitForSelector(byTestId('segments'))
  await page.locator(byTestId('segment-row')).first().waitFor()
}

/** Waits until a segment's page lists members, reloading while its membership is computed. */
async function waitForMembers(page) {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    await settle(page)
    if ((await page.locator(byTestId('segment-member-row')).count()) > 0) return
    await page.waitForTimeout(1000)
    await page.reload()
    await page.waitForSelector(byTestId('segment-view'))
  }
  assert.fail('the segment lists no members')
}

test('owner sees the four persona segments with their sizes', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openSegments(page)
  const rows = page.locator(byTestId('segment-row'))
  for (const persona of PERSONAS) {
    const row = rows.filter({ has: page.locator(byTestId('segment-name'), { hasText: persona }) }).first()
    await row.waitFor()
    assert.equal(await row.getAttribute('data-kind'), 'persona', `${persona} is a persona segment`)
    assert.equal((await row.locator(byTestId('segment-kind')).innerText()).trim(), '画像')
    const size = (await row.locator(byTestId('segment-size')).innerText()).trim()
    assert.match(size, /^\d[\d,]*$/, `${persona} size ${JSON.stringify(size)}`)
  }
  await page.locator(byTestId('segment-new')).waitFor()
})

test('owner creates a segment with a live preview, then edits its rule into a new version', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openSegments(page)
  await page.click(byTestId('segment-new'))
  await page.waitForSelector(byTestId('segment-form'))
  await page.fill(byTestId('segment-name-input'), `复购两次以上 ${Date.now()}`)

  // An incomplete rule: the server's error, with the position marked under the rule.
  await page.fill(byTestId('segment-rule-input'), 'orders >=')
  const ruleError = page.locator(byTestId('rule-error'))
  await ruleError.waitFor()
  assert.notEqual((await page.locator(byTestId('rule-error-message')).innerText()).trim(), '')
  const position = Number(await ruleError.getAttribute('data-position'))
  assert.ok(position >= 0 && position <= 'orders >='.length, `error position ${position}`)
  assert.ok(await page.locator(byTestId('rule-error-mark')).isVisible(), 'the error position is marked')
  assert.equal(await page.locator(byTestId('preview-count')).count(), 0)

  // Completed: the error goes and a live count appears.
  await page.fill(byTestId('segment-rule-input'), 'orders >= 2')
  await ruleError.waitFor({ state: 'detached' })
  const count = page.locator(byTestId('preview-count'))
  await count.waitFor()
  assert.ok(digits(await count.innerText()) > 0, `preview count ${await count.innerText()}`)

  await page.click(byTestId('segment-save'))
  await page.waitForURL((url) => /^\/segments\/[^/]+$/.test(url.pathname) && url.pathname !== '/segments/new')
  await page.locator(`${byTestId('segment-version-row')}[data-version="1"]`).waitFor()
  assert.equal(await text(page, 'segment-current-version'), 'v1')
  await waitForMembers(page)
  const exportHref = await page.locator(byTestId('segment-export')).getAttribute('href')
  assert.match(exportHref, /\/members\.csv\?workspace=.*lang=zh-CN/)
  // Read back as Excel would: a BOM, then Chinese headers.
  const csv = await (await page.request.get(new URL(exportHref, page.url()).href)).body()
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM first')
  const header = csv.subarray(3).toString('utf8').split('\n')[0]
  assert.equal(header, '用户 ID,昵称,手机号,生命周期,价值分层,订单数,累计消费（元）,最近下单,加入人群')

  // A changed rule is a new version.
  await page.fill(byTestId('segment-rule-input'), 'orders >= 3')
  await page.click(byTestId('segment-save'))
  await page.locator(`${byTestId('segment-version-row')}[data-version="2"]`).waitFor()
  await page.locator(byTestId('segment-saved')).waitFor()
  assert.equal(await text(page, 'segment-current-version'), 'v2')
  assert.equal(await page.locator(byTestId('segment-version-row')).count(), 2)
})

test('owner tags a person and sees the tag', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openPerson(page, env('REKINDLE_PHONE'))
  await page.locator(byTestId('person-tag-input')).waitFor()
  await page.fill(byTestId('person-tag-input'), 'VIP')
  await page.click(byTestId('person-tag-add'))
  const chip = page.locator(`${byTestId('person-tag')}[data-tag="VIP"]`).first()
  await chip.waitFor()
  assert.match(await chip.innerText(), /VIP/)
  assert.equal(await chip.getAttribute('data-source'), 'manual')
})

test('owner sees a member’s points, level and ledger on the person page', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openPerson(page, env('REKINDLE_PHONE'))
  const card = page.locator(byTestId('person-points'))
  await card.waitFor()
  // The points follower awards the demo's history after it starts: wait for the ledger.
  const rows = page.locator(byTestId('person-points-entry'))
  for (let i = 0; i < 30 && (await rows.count()) === 0; i++) {
    await page.waitForTimeout(2000)
    await page.reload()
    await card.waitFor()
    await settle(page)
  }
  assert.ok((await rows.count()) > 0, 'the ledger has entries')
  // The balance shown is the sum of the ledger shown.
  const signed = await rows.evaluateAll((rs) => rs.map((r) => r.querySelectorAll('td')[2].innerText))
  const sum = signed.map((p) => Number(p.replace(/[^\d-]/g, ''))).reduce((a, b) => a + b, 0)
  assert.equal(digits(await text(page, 'person-points-balance')), sum)
  assert.match(await text(page, 'person-level'), /^L[1-4]$/)
  assert.match(await text(page, 'person-level-progress'), /成长值/)
  assert.match(await rows.first().innerText(), /获得|抵扣|过期|退款扣回|调整|退回/)
})

test('an analyst sees the segments but cannot create or change one', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openSegments(page)
  await settle(page)
  assert.ok((await page.locator(byTestId('segment-row')).count()) >= PERSONAS.length)
  assert.equal(await page.locator(byTestId('segment-new')).count(), 0, 'no New segment button')

  await page.locator(byTestId('segment-row')).first().click()
  await page.waitForSelector(byTestId('segment-form'))
  await settle(page)
  assert.equal(await page.locator(byTestId('segment-save')).count(), 0, 'no Save button')
  assert.equal(await page.locator(byTestId('segment-delete')).count(), 0, 'no Delete button')
  assert.notEqual(await page.getAttribute(byTestId('segment-rule-input'), 'readonly'), null)
})

test('owner sees the fitted models, then a buyer’s predictions', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.click(byTestId('nav-models'))
  await page.waitForSelector(byTestId('models-page'))
  // Buyers in groups an operator can act on, each with what to do; the fit behind a toggle.
  const groups = page.locator(byTestId('models-group'))
  await groups.first().waitFor()
  assert.equal(await groups.count(), 5)
  const winBack = page.locator(`${byTestId('models-group')}[data-group="win_back"]`)
  assert.match(await winBack.innerText(), /自动唤回[\s\S]*建议：/)
  assert.equal(await page.locator(byTestId('models-params')).isVisible(), false, 'the raw fit is folded away')
  await page.click(`${byTestId('models-details')} summary`)
  await page.locator(byTestId('models-params')).waitFor()
  assert.match(await text(page, 'models-customers'), /\d/, 'the fit shows its customers')
  // A group becomes a segment: the form opens with its rule, and the preview counts people.
  const counted = digits(await winBack.locator(byTestId('models-group-count')).innerText())
  if (counted > 0) {
    await winBack.locator(byTestId('models-group-segment')).click()
    await page.waitForSelector(byTestId('segment-form'))
    assert.match(await page.locator(byTestId('segment-rule-input')).inputValue(), /流失风险 = 高风险/)
    await page.locator(byTestId('preview-count')).waitFor()
    assert.ok(digits(await page.locator(byTestId('preview-count')).innerText()) > 0)
    await page.goBack()
    await page.locator(byTestId('models-page')).waitFor()
  }
  await waitForCharts(page, ['models-calibration'])

  await openPerson(page, env('REKINDLE_PHONE'))
  await page.locator(byTestId('person-predictions')).waitFor()
  await page.locator(byTestId('person-p-alive')).waitFor()
  const pAlive = await text(page, 'person-p-alive')
  assert.match(pAlive, /^\d{1,3}(\.\d)?\s?%$/, `person-p-alive ${JSON.stringify(pAlive)} is a percentage`)
  const risk = await page.locator(byTestId('person-churn-risk')).getAttribute('data-risk')
  assert.ok(['low', 'medium', 'high'].includes(risk), `person-churn-risk ${JSON.stringify(risk)}`)
})

test('owner erases a person on request after confirming; an analyst has no such button', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  // A demo member other than the one the other tests read.
  await page.goto(`${baseUrl()}/people/m1-7`)
  await page.locator(byTestId('person-erase')).waitFor()
  assert.ok(await page.locator(byTestId('person-export')).isVisible(), 'the owner may export')
  let asked = ''
  page.once('dialog', (d) => {
    asked = d.message()
    d.dismiss()
  })
  await page.click(byTestId('person-erase'))
  assert.match(asked, /删除/, 'the confirmation says what it does, in Chinese')
  assert.equal(new URL(page.url()).pathname, '/people/m1-7', 'dismissed: nothing happens')

  page.once('dialog', (d) => d.accept())
  await page.click(byTestId('person-erase'))
  await page.waitForSelector(byTestId('people'))
  await page.goto(`${baseUrl()}/people/m1-7`)
  await page.getByText('该用户不存在').first().waitFor()

  const analyst = await freshPage(t)
  await login(analyst, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openPerson(analyst, env('REKINDLE_PHONE'))
  assert.equal(await analyst.locator(byTestId('person-erase')).count(), 0)
  assert.equal(await analyst.locator(byTestId('person-export')).count(), 0)
})

/** The dashboard's figures as the console reads them, with the browser's session. */
async function dashboard(page) {
  const r = await page.request.get(`${baseUrl()}/api/v1/dashboard?days=30`)
  assert.equal(r.status(), 200)
  return r.json()
}

const stageCount = (d, stage) => d.lifecycle.find((s) => s.stage === stage)?.count ?? 0
const sessionOrders = (d) => d.recent_live_sessions.reduce((n, s) => n + s.orders, 0)

test('the demo stays true after today\'s events: nobody turns churned, live sessions keep their orders', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const before = await dashboard(page)
  const people = before.lifecycle.reduce((n, s) => n + s.count, 0)
  // The simulated history ends at the present: most people are not churned.
  assert.ok(stageCount(before, 'churned') < people / 2, `churned ${stageCount(before, 'churned')} of ${people}`)
  assert.ok(sessionOrders(before) > 0, 'recent live sessions have orders')

  // Today's events, as the store's systems send them (the README's example).
  const now = new Date().toISOString()
  const batch = { batch: [
    { type: 'track', userId: `today-${Date.now()}`, event: 'Order Completed', timestamp: now,
      properties: { order_id: `today-${Date.now()}`, revenue: 39.9 } },
    { type: 'track', anonymousId: `visitor-${Date.now()}`, event: 'Product Viewed', timestamp: now },
  ] }
  const auth = `Basic ${Buffer.from(`${env('REKINDLE_WRITE_KEY')}:`).toString('base64')}`
  const sent = await page.request.post(`${baseUrl()}/v1/batch`, { data: batch, headers: { Authorization: auth } })
  assert.equal(sent.status(), 200)

  let after = before
  for (let i = 0; i < 100 && after.totals.events <= before.totals.events; i++) {
    await new Promise((r) => setTimeout(r, 100))
    after = await dashboard(page)
  }
  assert.ok(after.totals.events > before.totals.events, 'today\'s events are counted')
  // Judged by the same clock before and after: only someone crossing a threshold in these
  // seconds could change stage, never the whole store.
  assert.ok(stageCount(after, 'churned') - stageCount(before, 'churned') <= 1, `churned ${stageCount(before, 'churned')} → ${stageCount(after, 'churned')}`)
  assert.equal(sessionOrders(after), sessionOrders(before), 'live sessions keep their orders')

  await page.goto(`${baseUrl()}/`)
  assert.match(await text(page, 'kpi-orders'), /\d/)
})

test('a rule typed in Chinese, or built from conditions, selects what its English twin does; a mistake is told in Chinese', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openSegments(page)
  await page.click(byTestId('segment-new'))
  await page.waitForSelector(byTestId('segment-form'))
  const count = page.locator(byTestId('preview-count'))
  const counted = async (rule) => {
    await page.fill(byTestId('segment-rule-input'), rule)
    await page.waitForFunction(
      (r) => document.querySelector('[data-testid="preview-count"]') && document.querySelector('[data-testid="segment-rule-input"]').value === r,
      rule,
    )
    await settle(page)
    return digits(await count.innerText())
  }
  const english = await counted('lifecycle = silent or tier = high')
  const chinese = await counted('生命周期 = 沉默 或 分层 = 高价值')
  assert.ok(english > 0, `the English rule selects people (${english})`)
  assert.equal(chinese, english, 'the same people')

  // The visual builder writes the same rule: 生命周期 = 沉默, or 分层 = 高价值.
  await page.fill(byTestId('segment-rule-input'), '')
  await page.click(byTestId('rule-builder-toggle'))
  await page.click(byTestId('rule-builder-add'))
  const second = page.locator(byTestId('rule-builder-row')).nth(1)
  await second.locator(byTestId('rule-builder-field')).selectOption('tier')
  await page.selectOption(byTestId('rule-builder-join'), '或')
  assert.equal(await text(page, 'rule-builder-preview'), '生命周期 = 沉默 或 分层 = 高价值')
  await page.click(byTestId('rule-builder-apply'))
  assert.equal(await page.locator(byTestId('segment-rule-input')).inputValue(), '生命周期 = 沉默 或 分层 = 高价值')
  await count.waitFor()
  await settle(page)
  assert.equal(digits(await count.innerText()), english, 'the built rule selects the same people')

  // Live behaviour is among the conditions: watched the latest session and ordered nothing in it.
  await page.fill(byTestId('segment-rule-input'), '')
  const rows = page.locator(byTestId('rule-builder-row'))
  await rows.nth(0).locator(byTestId('rule-builder-field')).selectOption('latestWatched')
  await rows.nth(0).locator(byTestId('rule-builder-value')).fill('20')
  await rows.nth(1).locator(byTestId('rule-builder-field')).selectOption('latestOrdered')
  await rows.nth(1).locator(byTestId('rule-builder-op')).selectOption('!=')
  await page.selectOption(byTestId('rule-builder-join'), '且')
  assert.equal(await text(page, 'rule-builder-preview'), '看过 最近一场 >= 20分钟 且 非 直播下单 最近一场')
  await page.click(byTestId('rule-builder-apply'))
  await count.waitFor()
  await settle(page)
  assert.equal(await page.locator(byTestId('rule-error')).count(), 0, 'the built live rule parses')

  // Loyalty is among them too: growth still needed for the next level (距升级).
  await page.fill(byTestId('segment-rule-input'), '')
  const fields = await rows.nth(0).locator(`${byTestId('rule-builder-field')} option`).allInnerTexts()
  assert.ok(fields.includes('距升级（成长值）'), `距升级 offered in ${fields}`)
  await rows.nth(0).locator(byTestId('rule-builder-field')).selectOption('toNextLevel')
  await rows.nth(0).locator(byTestId('rule-builder-value')).fill('300')
  assert.equal(await text(page, 'rule-builder-preview'), '距升级 <= 300 且 非 直播下单 最近一场')
  await page.click(byTestId('rule-builder-apply'))
  assert.equal(await page.locator(byTestId('segment-rule-input')).inputValue(), '距升级 <= 300 且 非 直播下单 最近一场')
  await count.waitFor()
  await settle(page)
  assert.equal(await page.locator(byTestId('rule-error')).count(), 0, 'the built loyalty rule parses')

  await page.fill(byTestId('segment-rule-input'), '消费 >= 2000')
  await page.locator(byTestId('rule-error')).waitFor()
  assert.match(await text(page, 'rule-error-message'), /第 7 个字符处：应为金额/)
})

test('the people list is browsed a page at a time, filtered and sorted', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.click(byTestId('nav-people'))
  const rows = page.locator(byTestId('people-list-row'))
  await rows.first().waitFor()
  assert.equal(await rows.count(), 50, 'a page of 50 before any search')
  const countText = await text(page, 'people-list-count')
  assert.match(countText, /^第 1 \/ \d+ 页，共 [\d,]+ 位$/)
  const firstOfPage1 = await text(page, 'people-list-row')
  await page.click(byTestId('people-next'))
  await page.waitForFunction(() => /^第 2 \//.test(document.querySelector('[data-testid="people-list-count"]').textContent.trim()))
  await settle(page)
  assert.notEqual(await text(page, 'people-list-row'), firstOfPage1, 'page 2 holds other people')

  // Silent people by spend, largest first: every row says 沉默 and spends no more than the one above.
  await page.selectOption(byTestId('people-filter-stage'), 'silent')
  await page.selectOption(byTestId('people-sort'), 'spend')
  await page.waitForFunction(() => /^第 1 \//.test(document.querySelector('[data-testid="people-list-count"]').textContent.trim()))
  await settle(page)
  const stages = await page.locator(`${byTestId('people-list-row')} td:nth-child(3)`).allInnerTexts()
  assert.ok(stages.length > 0 && stages.every((s) => s.trim() === '沉默'), JSON.stringify(stages.slice(0, 5)))
  const spend = (await page.locator(`${byTestId('people-list-row')} td:nth-child(6)`).allInnerTexts()).map(digits)
  assert.ok(spend.every((x, i) => i === 0 || x <= spend[i - 1]), `spend ${JSON.stringify(spend.slice(0, 5))}`)

  // A row opens the person.
  await rows.first().click()
  await page.locator(byTestId('person-stage')).waitFor()
  assert.equal(await text(page, 'person-stage'), '沉默')
})
