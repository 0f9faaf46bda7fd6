// Browser tests of the WeCom relationships (企微关系, 渠道活码, the person's 企微好友 card and the
// chat sidebar) against a running server with the demo store loaded (see lib.mjs): the
// simulator's customers add staff members on WeCom through sources and codes. The page's figures,
// staff table and source values agree with the API; 立即对账 without WeCom says so; a transfer
// refused at its field and then requested shows in 客户转接; a channel code is made (without
// WeCom: the not-configured note instead of a QR code), refused at the staff member it names,
// changed and retired; a person's card lists their friendships; the sidebar renders a profile
// and scripts for `?customer=` without the console's navigation, behind the sign-in; an analyst
// has no write controls; an add-contact batch (加好友任务) is refused at a staff id, then assigned
// and listed with its progress and task list. These tests add channel codes, transfers, a buyer and
// add-contact tasks to the store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()

const text = async (locator) => (await locator.first().innerText()).trim()
const api = async (page, path) => {
  const r = await page.request.get(`${baseUrl()}/api/v1${path}`)
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`)
  return r.json()
}
const zhCount = (n) => n.toLocaleString('zh-CN')
const yuan = (fen) => `¥${(fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
const SOURCES = { live: '直播', parcel: '包裹卡', store: '门店', ads: '广告', referral: '老带新', offline: '线下', transfer: '转接', unknown: '未知' }
const sourceWord = (s) => SOURCES[s] ?? s
const STATUS = { requested: '待提交', waiting: '等待接替', done: '已接替', refused: '客户拒绝', takeover_full: '接替员工客户已满', failed: '企业微信拒绝' }
const STAGES = { prospect: '潜在客户', new: '新客', active: '活跃', silent: '沉默', churned: '流失', reactivated: '回流' }
const TIERS = { high: '高价值', potential: '潜力', edge: '边缘' }
const REMOVED_BY = { customer: '客户删除了员工', staff: '员工删除了客户', transfer: '已转给其他员工', unknown: '原因未知' }
/** A time as the console shows it: the store's zone, zh-CN, to the minute (2026/11/13 21:29). */
const DATE_TIME = /\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}/

/**
 * People of the demo store with WeCom friendships (most friendships first, among the first
 * spenders), each with their friendships as the API has them.
 */
async function withFriends(page, n) {
  const list = await api(page, '/people/list?sort=spend&per_page=100')
  const found = []
  for (const p of list.people) {
    const c = await api(page, `/people/${p.id}/contacts`)
    if (c.friendships.length && c.owner) found.push({ id: p.id, contacts: c })
    if (found.length >= n * 4) break
  }
  assert.ok(found.length >= n, `the demo has ${n} people with WeCom friends (found ${found.length})`)
  found.sort((a, b) => b.contacts.friendships.length - a.contacts.friendships.length)
  return found
}

async function openContacts(page) {
  const nav = page.locator(byTestId('nav-contacts'))
  assert.equal(await text(nav), '企微关系')
  await nav.click()
  await page.waitForSelector(byTestId('contact-figure-several'))
  await page.locator(byTestId('transfer-counts')).waitFor()
  await settle(page)
}

async function openCodes(page) {
  const nav = page.locator(byTestId('nav-channel-codes'))
  assert.equal(await text(nav), '渠道活码')
  await nav.click()
  await page.waitForSelector(byTestId('channel-codes'))
  await settle(page)
}

const figure = (page, id) => page.locator(`${byTestId(`contact-figure-${id}`)} ${byTestId('contact-figure-value')}`)

test('企微关系 shows the figures, the staff members’ reach and the value per source as the API has them', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openContacts(page)
  const f = await api(page, '/contacts')
  assert.ok(f.staff.length > 0 && f.sources.length > 0, 'the demo store has staff members and sources')

  assert.equal(await text(page.locator('h1')), '企微关系')
  assert.equal(await text(page.locator(`${byTestId('contact-figure-people')} .kpi-label`)), '加过企微的客户')
  assert.equal(await text(figure(page, 'people')), zhCount(f.people))
  assert.equal(await text(page.locator(`${byTestId('contact-figure-reachable')} .kpi-label`)), '仍可触达')
  assert.equal(await text(figure(page, 'reachable')), zhCount(f.reachable))
  assert.equal(await text(page.locator(`${byTestId('contact-figure-several')} .kpi-label`)), '多位员工好友')
  assert.equal(await text(figure(page, 'several')), zhCount(f.several_staff))

  // 员工触达: Chinese headers, a row per staff member in the API's order, each as the API has it.
  const staff = page.locator(byTestId('contact-staff'))
  assert.equal(await text(staff.locator('h2')), '员工触达')
  assert.deepEqual(
    (await staff.locator('th').allInnerTexts()).map((s) => s.trim()).slice(0, 7),
    ['员工', '好友数', '仅此一位好友', '30天新增', '30天客户删除', '30天员工删除', '30天转出'],
  )
  const rows = page.locator(byTestId('staff-row'))
  assert.equal(await rows.count(), f.staff.length)
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.staff)), f.staff.map((s) => s.staff_id))
  for (const s of f.staff) {
    const r = page.locator(`${byTestId('staff-row')}[data-staff="${s.staff_id}"]`)
    assert.equal(await text(r.locator(byTestId('staff-id'))), s.staff_id)
    assert.equal(await text(r.locator(byTestId('staff-friends'))), zhCount(s.friends))
    assert.ok((await text(r.locator(byTestId('staff-only')))).startsWith(zhCount(s.only_friend)), s.staff_id)
    assert.equal(await text(r.locator(byTestId('staff-added'))), s.added_30d ? `+${zhCount(s.added_30d)}` : '0')
    assert.equal(await text(r.locator(byTestId('staff-removed-customer'))), zhCount(s.removed_by_customer_30d))
    assert.equal(await text(r.locator(byTestId('staff-removed-staff'))), zhCount(s.removed_by_staff_30d))
    assert.equal(await text(r.locator(byTestId('staff-transferred'))), zhCount(s.transferred_30d))
  }

  // 来源价值: the source's word, its LTV in yuan, people, reachable and buyers, highest LTV first.
  const sources = page.locator(byTestId('contact-sources'))
  assert.equal(await text(sources.locator('h2')), '来源价值')
  assert.deepEqual(
    (await sources.locator('th').allInnerTexts()).map((s) => s.trim()),
    ['来源', '人均消费', '客户数', '仍可触达', '下单人数', '总消费'],
  )
  const srows = page.locator(byTestId('source-row'))
  assert.equal(await srows.count(), f.sources.length)
  for (const [i, s] of f.sources.entries()) {
    const r = srows.nth(i)
    assert.equal(await r.getAttribute('data-source'), s.source)
    assert.equal(await text(r.locator(byTestId('source-word'))), sourceWord(s.source))
    assert.equal(await text(r.locator(byTestId('source-ltv-value'))), yuan(s.ltv_fen))
    assert.equal(await text(r.locator(byTestId('source-people'))), zhCount(s.people))
    assert.ok((await text(r.locator(byTestId('source-reachable')))).startsWith(zhCount(s.reachable)))
    assert.equal(await text(r.locator(byTestId('source-buyers'))), zhCount(s.buyers))
  }
  assert.ok(f.sources.some((s) => s.source in SOURCES), 'the demo’s sources have words')

  // 客户转接: the counts per status.
  const l = await api(page, '/contacts/transfers')
  for (const c of ['requested', 'waiting', 'done', 'refused', 'failed']) {
    assert.equal(await text(page.locator(`${byTestId(`transfer-count-${c}`)} strong`)), zhCount(l[c]))
  }
})

test('立即对账 without WeCom says so; a transfer is refused at its field, then requested and listed', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const people = await withFriends(page, 2)
  await openContacts(page)

  // The demo has no WeCom provider: the reconcile's 404 is shown, in words and as the server said it.
  const codes = await api(page, '/contacts/codes')
  await page.click(byTestId('contacts-reconcile'))
  if (!codes.wecom) {
    const note = page.locator(byTestId('contacts-reconcile-unconfigured'))
    await note.waitFor()
    assert.match(await text(note), /企业微信未配置，无法对账/)
    assert.match(await text(note.locator(byTestId('contacts-reconcile-message'))), /WeCom is not configured/)
  } else {
    await page.locator(byTestId('contacts-reconciled')).waitFor()
  }

  // A customer who is a friend of their owner, handed to another staff member from the owner's row.
  const who = people.find((p) => p.contacts.friendships.some((f) => f.friend && f.staff_id === p.contacts.owner)) ?? people[0]
  const handover = who.contacts.owner
  const staff = (await api(page, '/contacts')).staff.map((s) => s.staff_id)
  const takeover = staff.find((s) => s !== handover)
  await page.locator(`${byTestId('staff-row')}[data-staff="${handover}"] ${byTestId('staff-transfer')}`).click()
  const form = page.locator(byTestId('transfer-form'))
  await form.waitFor()
  assert.equal(await form.locator(byTestId('transfer-handover')).inputValue(), handover, 'the row’s staff member hands over')
  assert.equal(await form.locator(`${byTestId('transfer-kind-on_job')}`).getAttribute('class'), 'active', '在职转接 by default')

  // The same staff member on both sides: refused at 接替员工.
  await form.locator(byTestId('transfer-takeover')).fill(handover)
  await form.locator(byTestId('transfer-submit')).click()
  const takeoverError = form.locator(`${byTestId('transfer-error')}[data-field="takeover"]`)
  await takeoverError.waitFor()
  assert.ok((await text(takeoverError)).length > 0)

  // A customer nobody has: refused at their line.
  await form.locator(byTestId('transfer-takeover')).fill(takeover)
  const nobody = `nobody-${Date.now()}`
  await form.locator(byTestId('transfer-customers')).fill(`${who.id}\n${nobody}`)
  await form.locator(byTestId('transfer-submit')).click()
  const lineError = form.locator(`${byTestId('transfer-error')}[data-field="customers[1]"]`)
  await lineError.waitFor()
  assert.equal(await text(lineError), `第 2 行「${nobody}」：找不到这位客户`)
  assert.equal(await form.locator(`${byTestId('transfer-error')}[data-field="takeover"]`).count(), 0, 'the earlier error is gone')

  // Then the one customer: requested, and listed with its status in words.
  await form.locator(byTestId('transfer-customers')).fill(who.id)
  await form.locator(byTestId('transfer-submit')).click()
  const done = form.locator(byTestId('transfer-done'))
  await done.waitFor()
  assert.match(await text(done), /^已发起 1 位客户的转接（批次 b[\w-]+）。/)
  const batch = /批次 (b[\w-]+)）/.exec(await text(done))[1]
  await form.locator(byTestId('transfer-close')).click()
  const row = page.locator(`${byTestId('transfer-row')}[data-batch="${batch}"]`)
  await row.waitFor()
  const listed = (await api(page, '/contacts/transfers')).transfers.find((x) => x.batch === batch)
  assert.ok(listed, 'the API lists the transfer')
  assert.equal(listed.handover, handover)
  assert.equal(listed.takeover, takeover)
  assert.equal(await text(row.locator(byTestId('transfer-staff'))), `${handover} → ${takeover}`)
  assert.equal(await text(row.locator(byTestId('transfer-kind-cell'))), '在职转接')
  assert.ok(Object.values(STATUS).includes(await text(row.locator(`${byTestId('transfer-status')} .badge`))))
  assert.equal(await row.locator(`${byTestId('transfer-customer')} a`).getAttribute('href'), `/people/${listed.person}`)
})

test('渠道活码: a code is refused at the staff member it names, then made (without WeCom: the note), changed and retired', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openCodes(page)
  const before = await api(page, '/contacts/codes')
  assert.equal(await text(page.locator('h1')), '渠道活码')
  if (!before.wecom) assert.match(await text(page.locator(byTestId('codes-wecom-off'))), /^企业微信未配置，配置后生成二维码/)
  const staff = (await api(page, '/contacts')).staff.map((s) => s.staff_id)
  assert.ok(staff.length >= 2, 'the demo has two staff members')

  const stamp = Date.now()
  const name = `包裹卡 ${stamp % 100000}`
  await page.click(byTestId('code-create'))
  const editor = page.locator(byTestId('code-editor'))
  await editor.waitFor()
  await editor.locator(byTestId('code-name')).fill(name)
  await editor.locator(byTestId('code-source')).selectOption('parcel')
  await editor.locator(byTestId('code-staff')).fill(`${staff[0]}\nbad id!`)
  await editor.locator(byTestId('code-tags')).fill('包裹卡, e2e')
  await editor.locator(byTestId('code-save')).click()
  const staffError = editor.locator(`${byTestId('code-error')}[data-field="staff[1]"]`)
  await staffError.waitFor()
  assert.equal(await text(staffError), '第 2 项「bad id!」：只能用字母、数字和 - _ . @')
  assert.equal((await api(page, '/contacts/codes')).codes.length, before.codes.length, 'nothing was made')

  // Corrected: two staff members at random.
  await editor.locator(byTestId('code-staff')).fill(`${staff[0]}, ${staff[1]}`)
  await editor.locator(byTestId('code-pick-random')).click()
  await editor.locator(byTestId('code-save')).click()
  await editor.waitFor({ state: 'detached' })
  const after = await api(page, '/contacts/codes')
  const made = after.codes.find((c) => c.name === name)
  assert.ok(made, 'the API lists the code')
  assert.deepEqual([made.source, made.kind, made.pick, made.staff, made.tags], ['parcel', 'contact', 'random', staff.slice(0, 2), ['包裹卡', 'e2e']])
  const card = page.locator(`${byTestId('code-card')}[data-id="${made.id}"]`)
  await card.waitFor()
  assert.equal(await text(card.locator(byTestId('code-name-text'))), name)
  assert.equal(await text(card.locator(byTestId('code-source-word'))), '包裹卡')
  assert.equal(await text(card.locator(byTestId('code-state'))), made.state)
  assert.match(made.state, /^parcel-r\d+$/)
  assert.deepEqual((await card.locator(`${byTestId('code-staff-list')} .chip`).allInnerTexts()).map((s) => s.trim()), staff.slice(0, 2))
  assert.match(await text(card.locator('dt').first()), /员工（随机）/)
  assert.deepEqual((await card.locator(`${byTestId('code-tags-list')} .tag`).allInnerTexts()).map((s) => s.trim()), ['包裹卡', 'e2e'])
  if (after.wecom) {
    if (made.qr_code) assert.equal(await card.locator(byTestId('code-qr')).getAttribute('src'), made.qr_code)
  } else {
    assert.equal(await card.locator(byTestId('code-qr')).count(), 0)
    assert.equal(await text(card.locator(byTestId('code-no-qr'))), '企业微信未配置，配置后生成二维码')
  }
  for (const [id, v] of [['people', zhCount(made.people)], ['reachable', zhCount(made.reachable)], ['buyers', zhCount(made.buyers)], ['ltv', made.people ? yuan(made.ltv_fen) : '—']]) {
    assert.equal(await text(card.locator(byTestId(`code-figure-${id}`))), v)
  }

  // A group code with six groups is refused at 客户群.
  await page.click(byTestId('code-create'))
  await editor.waitFor()
  await editor.locator(byTestId('code-name')).fill(`进群 ${stamp % 100000}`)
  await editor.locator(byTestId('code-kind-group')).click()
  await editor.locator(byTestId('code-groups')).fill('g1\ng2\ng3\ng4\ng5\ng6')
  await editor.locator(byTestId('code-save')).click()
  const groupsError = editor.locator(`${byTestId('code-error')}[data-field="groups"]`)
  await groupsError.waitFor()
  assert.match(await text(groupsError), /1 到 5 个客户群 ID/)
  await editor.locator(byTestId('code-editor-close')).click()

  // Changed: its name; source and kind stay.
  await card.locator(byTestId('code-edit')).click()
  await editor.waitFor()
  assert.equal(await editor.locator(byTestId('code-source')).isDisabled(), true)
  assert.equal(await editor.locator(byTestId('code-name')).inputValue(), name)
  await editor.locator(byTestId('code-name')).fill(`${name} 改`)
  await editor.locator(byTestId('code-save')).click()
  await editor.waitFor({ state: 'detached' })
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="code-card"][data-id="${id}"] [data-testid="code-name-text"]`)?.textContent?.trim() === want,
    [String(made.id), `${name} 改`],
  )

  // Retired (停用): confirmed, kept with its figures, marked.
  page.once('dialog', (d) => {
    assert.match(d.message(), /停用「.*」？/)
    void d.accept()
  })
  await card.locator(byTestId('code-retire')).click()
  await card.locator(byTestId('code-archived')).waitFor()
  assert.equal(await text(card.locator(byTestId('code-archived'))), '已停用')
  assert.equal(await card.getAttribute('data-archived'), 'true')
  assert.equal(await card.locator(byTestId('code-edit')).count(), 0)
  assert.equal((await api(page, '/contacts/codes')).codes.find((c) => c.id === made.id).archived, true)
})

test('a person’s 企微好友 card lists their friendships, the default sender marked', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const [p] = await withFriends(page, 1)
  await page.goto(`${baseUrl()}/people/${p.id}`)
  const card = page.locator(byTestId('person-contacts'))
  await card.locator(byTestId('person-friendship')).first().waitFor()
  await settle(page)
  const c = await api(page, `/people/${p.id}/contacts`)
  assert.equal(await text(card.locator('h2')), '企微好友')
  const friends = c.friendships.filter((f) => f.friend).length
  assert.equal(await text(card.locator(byTestId('person-contacts-reachable'))), c.reachable ? `可触达 · ${friends}` : '已无好友关系')
  const items = card.locator(byTestId('person-friendship'))
  assert.equal(await items.count(), c.friendships.length)
  for (const [i, f] of c.friendships.entries()) {
    const item = items.nth(i)
    assert.equal(await item.getAttribute('data-staff'), f.staff_id)
    assert.equal(await text(item.locator(byTestId('friendship-state'))), f.friend ? '好友' : '已删除')
    assert.equal(await item.locator(byTestId('friendship-owner')).count(), f.staff_id === c.owner ? 1 : 0)
    if (f.since) assert.match(await text(item.locator(byTestId('friendship-since'))), new RegExp(`^添加于 ${DATE_TIME.source}$`))
    if (!f.friend) assert.ok((await text(item.locator(byTestId('friendship-removed')))).endsWith(REMOVED_BY[f.removed_by ?? 'unknown']))
    if (f.source) assert.equal(await text(item.locator(byTestId('friendship-source'))), sourceWord(f.source))
    if (f.code) assert.equal(await text(item.locator(byTestId('friendship-code'))), `活码 ${f.code}`)
  }
  assert.equal(await text(card.locator(byTestId('friendship-owner'))), '默认发送人')
})

test('the sidebar shows a customer’s profile and scripts for ?customer=, without the console’s navigation', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl() })
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const [p] = await withFriends(page, 1)
  await page.setViewportSize({ width: 360, height: 800 })
  await page.goto(`${baseUrl()}/sidebar?customer=${encodeURIComponent(p.id)}`)
  const profile = page.locator(byTestId('sidebar-profile'))
  await profile.waitFor()
  await settle(page)
  const s = await api(page, `/sidebar?customer=${encodeURIComponent(p.id)}`)
  assert.equal(await page.locator(byTestId('nav-dashboard')).count(), 0, 'no navigation')
  assert.equal(await page.locator(byTestId('logout')).count(), 0, 'no top bar')
  assert.equal(await profile.getAttribute('data-person'), s.person)
  assert.equal(await text(page.locator(byTestId('sidebar-name'))), s.name || '未命名')
  assert.equal(await text(page.locator(byTestId('sidebar-stage'))), STAGES[s.stage])
  assert.equal(await text(page.locator(byTestId('sidebar-tier'))), TIERS[s.tier])
  assert.equal(await text(page.locator(byTestId('sidebar-orders'))), zhCount(s.orders))
  assert.equal(await text(page.locator(byTestId('sidebar-spend'))), yuan(s.spend_fen))
  if (s.level) assert.equal(await text(page.locator(byTestId('sidebar-level'))), s.level)
  if (s.points != null) assert.equal(await text(page.locator(byTestId('sidebar-points'))), zhCount(s.points))
  assert.equal(await page.locator(byTestId('sidebar-friendship')).count(), s.friendships.length)
  assert.equal(await page.locator(byTestId('sidebar-run-out')).count(), s.run_outs.length)
  assert.equal(await page.locator(byTestId('sidebar-ticket')).count(), s.open_tickets.length)
  if (s.churn_risk) assert.equal(await page.locator(byTestId('sidebar-churn-risk')).getAttribute('data-risk'), s.churn_risk)

  // The scripts, most pressing first, each copied with one tap.
  assert.equal(await text(page.locator(`${byTestId('sidebar-scripts')} h2`)), '推荐话术')
  const scripts = page.locator(byTestId('sidebar-script'))
  assert.ok(s.scripts.length > 0, 'the sidebar suggests a script')
  assert.equal(await scripts.count(), s.scripts.length)
  for (const [i, x] of s.scripts.entries()) {
    assert.equal(await scripts.nth(i).getAttribute('data-key'), x.key)
    assert.equal(await text(scripts.nth(i).locator(byTestId('sidebar-script-title'))), x.title)
    assert.equal(await text(scripts.nth(i).locator(byTestId('sidebar-script-text'))), x.text)
  }
  const copy = scripts.first().locator(byTestId('sidebar-script-copy'))
  assert.equal(await text(copy), '复制')
  await copy.click()
  await page.waitForFunction(() => document.querySelector('[data-testid="sidebar-script-copy"]')?.textContent?.trim() === '已复制')
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), s.scripts[0].text)

  // The WeCom external userid (what the chat sidebar hands over) finds the same person.
  const person = await api(page, `/people/${p.id}`)
  const external = person.identities.find((i) => i.kind === 'wecom_external_userid')
  if (external) {
    await page.goto(`${baseUrl()}/sidebar?customer=${encodeURIComponent(external.value)}`)
    await profile.waitFor()
    assert.equal(await profile.getAttribute('data-person'), s.person)
  }

  // Without a customer, outside WeCom: how to open it.
  await page.goto(`${baseUrl()}/sidebar`)
  const outside = page.locator(byTestId('sidebar-outside'))
  await outside.waitFor()
  assert.equal(await text(outside), '请在企业微信客户聊天侧边栏中打开，或在地址后加 ?customer=…')
  // Nobody by that name: said so.
  await page.goto(`${baseUrl()}/sidebar?customer=nobody-${Date.now()}`)
  await page.locator(byTestId('sidebar-not-found')).waitFor()
})

test('inside WeCom the sidebar signs the page with the server’s jsapi-config and asks the JS-SDK for the chat’s customer', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const [p] = await withFriends(page, 1)
  const external = (await api(page, `/people/${p.id}`)).identities.find((i) => i.kind === 'wecom_external_userid')
  assert.ok(external, 'the demo’s WeCom friends have an external userid')

  // WeCom's JS-SDK, as its browser would have it: agentConfig records what it was given,
  // getCurExternalContact answers with the customer's external userid.
  await page.addInitScript((userId) => {
    window.__agentConfig = null
    window.wx = {
      agentConfig(c) {
        window.__agentConfig = { corpid: c.corpid, agentid: c.agentid, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature, jsApiList: c.jsApiList }
        setTimeout(() => c.success?.({ errMsg: 'agentConfig:ok' }), 10)
      },
      invoke(name, _args, cb) {
        setTimeout(() => cb(name === 'getCurExternalContact' ? { err_msg: 'getCurExternalContact:ok', userId } : { err_msg: `${name}:fail` }), 10)
      },
    }
  }, external.value)
  // The demo has no WeCom: its signature is stood in for, and the address it was asked for kept.
  let signedFor = null
  await page.route('**/api/v1/wecom/jsapi-config?*', (route) => {
    signedFor = new URL(route.request().url()).searchParams.get('url')
    return route.fulfill({ json: { corp_id: 'ww-e2e', agent_id: '1000002', timestamp: 1700000000, nonce_str: 'nonce-e2e', signature: 'f'.repeat(40) } })
  })
  await page.goto(`${baseUrl()}/sidebar#chat`)
  const profile = page.locator(byTestId('sidebar-profile'))
  await profile.waitFor()
  assert.equal(await profile.getAttribute('data-person'), (await api(page, `/people/${p.id}`)).id)
  assert.equal(signedFor, `${baseUrl()}/sidebar`, 'the address is signed without its hash')
  assert.deepEqual(await page.evaluate(() => window.__agentConfig), {
    corpid: 'ww-e2e',
    agentid: '1000002',
    timestamp: 1700000000,
    nonceStr: 'nonce-e2e',
    signature: 'f'.repeat(40),
    jsApiList: ['getCurExternalContact'],
  })

  // Without a stand-in the demo's server answers that WeCom is not configured: said so.
  await page.unroute('**/api/v1/wecom/jsapi-config?*')
  await page.goto(`${baseUrl()}/sidebar`)
  const failed = page.locator(byTestId('sidebar-wecom-failed'))
  await failed.waitFor()
  assert.match(await text(failed), /^无法从企业微信取得当前客户：.*WeCom/)
})

test('the sidebar needs the sign-in and returns to the customer after it', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await page.goto(`${baseUrl()}/login`)
  await page.fill(byTestId('login-email'), env('REKINDLE_OWNER_EMAIL'))
  await page.fill(byTestId('login-password'), env('REKINDLE_OWNER_PASSWORD'))
  await page.click(byTestId('login-submit'))
  await page.waitForSelector(byTestId('dashboard'))
  const [p] = await withFriends(page, 1)
  await page.click(byTestId('logout'))
  await page.waitForSelector(byTestId('login-email'))

  await page.goto(`${baseUrl()}/sidebar?customer=${encodeURIComponent(p.id)}`)
  await page.waitForSelector(byTestId('login-email'))
  const url = new URL(page.url())
  assert.equal(url.pathname, '/login')
  assert.equal(url.searchParams.get('redirect'), `/sidebar?customer=${encodeURIComponent(p.id)}`)
  await page.fill(byTestId('login-email'), env('REKINDLE_OWNER_EMAIL'))
  await page.fill(byTestId('login-password'), env('REKINDLE_OWNER_PASSWORD'))
  await page.click(byTestId('login-submit'))
  await page.locator(byTestId('sidebar-profile')).waitFor()
  assert.equal(new URL(page.url()).pathname, '/sidebar')
  assert.equal(await page.locator(byTestId('nav-dashboard')).count(), 0)
})

test('an analyst reads 企微关系 and 渠道活码 without their write controls', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openContacts(page)
  assert.ok((await page.locator(byTestId('staff-row')).count()) > 0)
  for (const id of ['contacts-reconcile', 'contacts-transfer', 'transfer-open', 'staff-transfer']) {
    assert.equal(await page.locator(byTestId(id)).count(), 0, id)
  }
  await openCodes(page)
  assert.equal(await page.locator(byTestId('code-create')).count(), 0)
  assert.equal(await page.locator(byTestId('code-edit')).count(), 0)
  assert.equal(await page.locator(byTestId('code-retire')).count(), 0)
})

test('加好友任务: a batch is refused at a staff id, then assigned in turn, listed with its progress and its task list', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  // A phone-only buyer of today, so there is someone to assign whatever the demo holds.
  const stamp = Date.now()
  const user = `e2e-reach-${stamp}`
  const phone = `139${String(stamp).slice(-8)}`
  const at = new Date().toISOString()
  const auth = `Basic ${Buffer.from(`${env('REKINDLE_WRITE_KEY')}:`).toString('base64')}`
  const batch = [
    { type: 'identify', userId: user, messageId: `${user}-id`, traits: { phone, nickname: '加好友测试' }, timestamp: at },
    { type: 'track', userId: user, event: 'Order Completed', messageId: `${user}-order`, timestamp: at, properties: { order_id: `${user}-o`, revenue: 39.9, currency: 'CNY' } },
  ]
  assert.equal((await page.request.post(`${baseUrl()}/v1/batch`, { data: { batch }, headers: { Authorization: auth } })).status(), 200)

  await openContacts(page)
  const section = page.locator(byTestId('contact-reach'))
  assert.equal(await text(section.locator('h2')), '加好友任务')
  const staff = (await api(page, '/contacts')).staff.map((s) => s.staff_id)
  assert.ok(staff.length >= 1, 'the demo has staff members')
  const fresh = `e2e-guide-${stamp % 100000}`

  const before = (await api(page, '/contacts/reach')).batches.length
  await section.locator(byTestId('reach-open')).click()
  const form = page.locator(byTestId('reach-form'))
  await form.waitFor()
  // The staff the store knows are offered; one picked, a new one typed after a bad one.
  await form.locator(`${byTestId('reach-known-staff')}[data-staff="${staff[0]}"]`).click()
  assert.equal(await form.locator(byTestId('reach-staff-input')).inputValue(), staff[0])
  await form.locator(byTestId('reach-staff-input')).fill(`${staff[0]}\nbad id!`)
  await form.locator(byTestId('reach-limit')).fill('3')
  await form.locator(byTestId('reach-submit')).click()
  const staffError = form.locator(`${byTestId('reach-error')}[data-field="staff[1]"]`)
  await staffError.waitFor()
  assert.equal(await text(staffError), '第 2 项「bad id!」：只能用字母、数字和 - _ . @')
  assert.equal((await api(page, '/contacts/reach')).batches.length, before, 'nothing was assigned')

  await form.locator(byTestId('reach-staff-input')).fill(`${staff[0]}, ${fresh}`)
  await form.locator(byTestId('reach-submit')).click()
  const done = form.locator(byTestId('reach-done'))
  await done.waitFor()
  const m = /^已分配 (\d+) 位客户（批次 (b[\w-]+)）。/.exec(await text(done))
  assert.ok(m, await text(done))
  const [, n, id] = m
  const listed = (await api(page, '/contacts/reach')).batches.find((b) => b.batch === id)
  assert.ok(listed, 'the API lists the batch')
  assert.equal(listed.assigned, Number(n))
  assert.ok(listed.assigned >= 1 && listed.assigned <= 3, `${listed.assigned}`)
  // In turn: the first staff member gets as many as the second or one more.
  const per = Object.fromEntries(listed.staff.map((s) => [s.staff_id, s.assigned]))
  assert.ok((per[staff[0]] ?? 0) - (per[fresh] ?? 0) <= 1 && (per[staff[0]] ?? 0) >= (per[fresh] ?? 0), JSON.stringify(per))
  await form.locator(byTestId('reach-close')).click()

  // Listed with its progress per staff member, in words.
  const row = section.locator(`${byTestId('reach-batch')}[data-batch="${id}"]`)
  await row.waitFor()
  assert.equal(await text(row.locator(byTestId('reach-batch-totals'))), `已添加 ${zhCount(listed.added)} / 共 ${zhCount(listed.assigned)} 位`)
  for (const s of listed.staff) {
    const bar = row.locator(`${byTestId('reach-staff')}[data-staff="${s.staff_id}"]`)
    assert.equal(await text(bar.locator(byTestId('reach-staff-counts'))), `已添加 ${zhCount(s.added)} · 待添加 ${zhCount(s.pending)}`)
  }

  // The task list: a row per task as the API has it, and its CSV with Chinese headers.
  await row.locator(byTestId('reach-batch-tasks')).click()
  const drawer = page.locator(byTestId('reach-drawer'))
  await drawer.waitFor()
  const tasks = (await api(page, `/contacts/reach/${id}`)).tasks
  await drawer.locator(byTestId('reach-task')).first().waitFor()
  assert.equal(await drawer.locator(byTestId('reach-task')).count(), tasks.length)
  for (const task of tasks) {
    const r = drawer.locator(`${byTestId('reach-task')}[data-person="${task.person}"]`)
    assert.equal(await text(r.locator(byTestId('reach-task-phone'))), task.phone)
    assert.equal(await text(r.locator(byTestId('reach-task-staff'))), task.staff_id)
    assert.equal(await text(r.locator(byTestId('reach-task-status'))), task.added_at ? '已添加' : '待添加')
  }
  const href = await drawer.locator(byTestId('reach-csv')).getAttribute('href')
  assert.ok(href.startsWith(`/api/v1/contacts/reach/${id}/csv?`) && href.includes('lang=zh-CN'), href)
  const csv = await page.request.get(`${baseUrl()}${href}`)
  assert.equal(csv.status(), 200)
  const lines = (await csv.text()).replace(/^\uFEFF/, '').trim().split(/\r?\n/)
  assert.equal(lines[0], '用户 ID,昵称,手机号,员工,分配时间,最近下单,状态,添加时间')
  assert.equal(lines.length, tasks.length + 1)
  await drawer.locator(byTestId('reach-drawer-close')).click()

  // An analyst sees the batch and masked phones, and cannot assign.
  await page.click(byTestId('logout'))
  await page.waitForSelector(byTestId('login-email'))
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openContacts(page)
  assert.equal(await page.locator(byTestId('reach-open')).count(), 0)
  await page.locator(`${byTestId('reach-batch')}[data-batch="${id}"] ${byTestId('reach-batch-tasks')}`).click()
  await drawer.locator(byTestId('reach-task')).first().waitFor()
  for (const p of await drawer.locator(byTestId('reach-task-phone')).allInnerTexts()) {
    assert.match(p.trim(), /^(\d{3}\*{4}\d{4}|—)$/, p)
  }
})
