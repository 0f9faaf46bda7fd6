// Browser tests of the customer groups (社群) against a running server with the demo store loaded
// (see lib.mjs): the simulator's customers join 鲜果社 0–11 群 (grp-0…grp-11). The page's figures
// and table agree with the API, a message makes a group active and a wave of leavers colours its
// 退群; a group's panel lists its members and posts; a notice is queued and shows among the
// group's posts; the fourth promotional post of a day is refused (今日推广已满); an http picture
// is refused at its field; a role without journeys.manage cannot post; with no group, the page
// explains where groups come from. These tests add posts and group events to the store.
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
const zhCount = (n) => n.toLocaleString('zh-CN')
/** A time as the console shows it: the store's zone, zh-CN, to the minute (2026/11/13 21:29). */
const DATE_TIME = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/
const STATES = { queued: '待发送', sent: '已发送（待群主确认）', failed: '失败' }

/** Opens 社群 from the sidebar and waits for its table. */
async function openGroups(page) {
  const nav = page.locator(byTestId('nav-groups'))
  assert.equal(await text(nav), '社群')
  await nav.click()
  await page.waitForSelector(byTestId('group-figure-promotional'))
  await settle(page)
}

const figure = (page, id) => page.locator(`${byTestId(`group-figure-${id}`)} ${byTestId('group-figure-value')}`)
const row = (page, id) => page.locator(`${byTestId('group-row')}[data-id="${id}"]`)

/** Waits until the API's answer for `group` passes `ok` (events are folded in asynchronously). */
async function groupUntil(page, id, ok) {
  for (let i = 0; i < 100; i++) {
    const g = (await api(page, '/groups')).groups.find((x) => x.id === id)
    if (g && ok(g)) return g
    await page.waitForTimeout(100)
  }
  assert.fail(`group ${id} did not change as expected`)
}

/** Opens the composer for `group` from its side panel and fills sender and text. */
async function composeFor(page, group, words) {
  await row(page, group).click()
  await page.locator(`${byTestId('group-detail')}[data-id="${group}"] ${byTestId('group-detail-id')}`).waitFor()
  await page.click(byTestId('group-detail-compose'))
  const composer = page.locator(byTestId('group-composer'))
  await composer.waitFor()
  assert.equal(await composer.locator(`${byTestId('group-compose-group')}[data-group="${group}"] input`).isChecked(), true, 'the open group is chosen')
  await page.fill(byTestId('group-compose-sender'), 'zhangsan')
  await page.fill(byTestId('group-compose-text'), words)
  return composer
}

/** A group nobody posted to today, other than `except`. */
async function freshGroup(page, except = []) {
  const o = await api(page, '/groups')
  const g = o.groups.find((x) => x.promotional_today === 0 && !except.includes(x.id))
  assert.ok(g, 'a group without promotional posts today')
  return g
}

test('社群 lists the demo’s groups as the API does; a message makes one active, a wave of leavers colours its 退群', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))

  // Today in 鲜果社 11 群: someone writes, and two people join and leave again.
  const stamp = Date.now()
  const now = new Date()
  const before = (await api(page, '/groups')).groups.find((g) => g.id === 'grp-11')
  assert.ok(before, 'the simulator made 鲜果社 11 群')
  const churner = (i) => ({ anonymousId: `e2e-group-${stamp}-${i}` })
  await send(page, [
    track(churner(0), 'Group Messaged', { group_id: 'grp-11', text: '今天的草莓很甜' }, now),
    ...[1, 2].flatMap((i) => [
      track(churner(i), 'Group Joined', { group_id: 'grp-11', group_name: '鲜果社 11 群' }, new Date(now.getTime() - 60_000)),
      track(churner(i), 'Group Left', { group_id: 'grp-11' }, now),
    ]),
  ])
  await groupUntil(page, 'grp-11', (g) => !g.silent && g.left_7d >= before.left_7d + 2)

  await openGroups(page)
  const o = await api(page, '/groups')
  assert.ok(o.groups.length >= 12, `the demo has its 12 groups (${o.groups.length})`)
  for (let n = 0; n < 12; n++) {
    const g = o.groups.find((x) => x.id === `grp-${n}`)
    assert.ok(g, `grp-${n} is listed`)
    assert.equal(g.name, `鲜果社 ${n} 群`)
  }

  // The figures: groups, members summed, silent groups, today's promotional posts against the ceilings.
  assert.equal(await text(page.locator('h1')), '社群')
  assert.equal(await text(page.locator(`${byTestId('group-figure-groups')} .kpi-label`)), '社群数')
  assert.equal(await text(figure(page, 'groups')), zhCount(o.groups.length))
  assert.equal(await text(figure(page, 'members')), zhCount(o.groups.reduce((n, g) => n + g.members, 0)))
  assert.equal(await text(page.locator(`${byTestId('group-figure-silent')} .kpi-label`)), '沉默社群')
  assert.equal(await text(figure(page, 'silent')), zhCount(o.silent))
  assert.match(await text(page.locator(`${byTestId('group-figure-silent')} ${byTestId('group-figure-detail')}`)), /15 天无人发言/)
  const used = o.groups.reduce((n, g) => n + g.promotional_today, 0)
  const ceiling = o.groups.reduce((n, g) => n + g.ceiling, 0)
  assert.equal(await text(figure(page, 'promotional')), `${zhCount(used)} / ${zhCount(ceiling)}`)
  assert.equal(await page.locator(byTestId('groups-empty')).count(), 0)

  // The table: Chinese headers, one row per group in the API's order, each as the API has it.
  assert.deepEqual(
    (await page.locator(`${byTestId('group-table')} th`).allInnerTexts()).map((s) => s.trim()),
    ['群名 / ID', '成员', '近7天入群 / 退群', '近7天发言', '最后发言', '状态', '今日推广'],
  )
  const rows = page.locator(byTestId('group-row'))
  assert.equal(await rows.count(), o.groups.length)
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.id)), o.groups.map((g) => g.id))
  for (const g of o.groups) {
    const r = row(page, g.id)
    assert.equal(await text(r.locator(byTestId('group-id'))), g.id)
    assert.ok((await text(r.locator(byTestId('group-name')))).startsWith(g.name), g.id)
    assert.equal(await text(r.locator(byTestId('group-members'))), zhCount(g.members))
    assert.equal(await text(r.locator(byTestId('group-flow'))), `+${zhCount(g.joined_7d)} / −${zhCount(g.left_7d)}`)
    assert.equal(await text(r.locator(byTestId('group-messages'))), zhCount(g.messages_7d))
    assert.equal(await text(r.locator(byTestId('group-status'))), g.silent ? '沉默' : '活跃')
    assert.equal(await text(r.locator(byTestId('group-promotional'))), `${g.promotional_today}/${g.ceiling}`)
    const last = await text(r.locator(byTestId('group-last')))
    if (g.last_message) assert.match(last, DATE_TIME)
    else assert.equal(last, '从未')
  }

  // 鲜果社 11 群 spoke today; its leavers are at least a tenth of it.
  const g11 = o.groups.find((g) => g.id === 'grp-11')
  assert.equal(await text(row(page, 'grp-11').locator(byTestId('group-status'))), '活跃')
  assert.match(await text(row(page, 'grp-11').locator(byTestId('group-last'))), DATE_TIME)
  const left = row(page, 'grp-11').locator(byTestId('group-left'))
  const wave = g11.left_7d >= 2 && g11.left_7d / (g11.members + g11.left_7d) >= 0.1
  assert.equal(await left.getAttribute('data-warn'), String(wave))
  if (wave) assert.match(await left.getAttribute('title'), /近7天退群 \d+ 人/)
  // A group where nobody left this week is not coloured.
  const calm = o.groups.find((g) => g.left_7d === 0)
  if (calm) assert.equal(await row(page, calm.id).locator(byTestId('group-left')).getAttribute('data-warn'), 'false')
})

test('a group’s panel lists its members, each a link to their page, and its posts', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openGroups(page)
  const o = await api(page, '/groups')
  const g = o.groups[0]
  await row(page, g.id).click()
  const panel = page.locator(`${byTestId('group-detail')}[data-id="${g.id}"]`)
  await panel.locator(byTestId('group-detail-id')).waitFor()
  await settle(page)
  assert.equal(new URL(page.url()).searchParams.get('group'), g.id)
  const d = await api(page, `/groups/${g.id}`)
  assert.equal(await text(panel.locator('h2')), g.name)
  assert.equal(await text(panel.locator(byTestId('group-detail-members'))), zhCount(g.members))
  assert.equal(await text(panel.locator(byTestId('group-detail-status'))), g.silent ? '沉默' : '活跃')
  const members = panel.locator(byTestId('group-member'))
  assert.equal(await members.count(), d.people.length)
  assert.ok(d.people.length > 0, 'the largest group has members')
  assert.equal(d.members, g.members, 'the detail counts as the list does')
  const posts = panel.locator(byTestId('group-post'))
  assert.equal(await posts.count(), d.posts.length)
  if (!d.posts.length) assert.match(await text(panel.locator(byTestId('group-no-posts'))), /还没有发过群帖/)

  // A member's name opens their page; back returns to the group.
  const first = d.people[0]
  const link = members.first().locator('a')
  assert.equal(await link.getAttribute('href'), `/people/${first.person}`)
  await link.click()
  await page.waitForSelector(byTestId('person-view'))
  assert.equal(new URL(page.url()).pathname, `/people/${first.person}`)
  await page.goBack()
  await panel.locator(byTestId('group-detail-id')).waitFor()
  await panel.locator(byTestId('group-detail-close')).click()
  assert.equal(await page.locator(byTestId('group-detail')).count(), 0)
  assert.equal(new URL(page.url()).searchParams.get('group'), null)
})

test('a notice to one group is queued and shows among the group’s posts with its state', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openGroups(page)
  const g = await freshGroup(page)
  const words = `发货通知 ${Date.now()}：今天的草莓因天气晚一天发出`
  const composer = await composeFor(page, g.id, words)

  // A notice: the sentence about the ceiling gives way to the notice's; the count follows the text.
  assert.match(await text(composer.locator(byTestId('group-compose-ceiling'))), /最多 3 条.*一天发 8 条广告.*70%/)
  await composer.locator(byTestId('group-compose-kind-notice')).click()
  assert.match(await text(composer.locator(byTestId('group-compose-ceiling'))), /通知不计入每日推广上限/)
  assert.equal(await text(composer.locator(byTestId('group-compose-count'))), `${[...words].length} / 1300`)
  const key = await composer.getAttribute('data-key')
  assert.ok(key && (await text(composer.locator(byTestId('group-compose-key')))).includes(key), 'the key is shown')

  await composer.locator(byTestId('group-compose-submit')).click()
  const outcome = composer.locator(`${byTestId('group-post-outcome')}[data-group="${g.id}"]`)
  await outcome.waitFor()
  assert.equal(await outcome.getAttribute('data-outcome'), 'queued')
  assert.equal(await text(outcome.locator(byTestId('group-post-outcome-label'))), '已排队')
  assert.equal(await composer.locator(byTestId('group-post-outcome')).count(), 1)

  // The post is in the group's posts, as the API has it, with its state in Chinese (the demo has
  // no WeCom provider: the dispatcher fails it within a second, and the panel says why).
  await composer.locator(byTestId('group-compose-done')).click()
  const panel = page.locator(`${byTestId('group-detail')}[data-id="${g.id}"]`)
  const post = panel.locator(byTestId('group-post'), { hasText: words })
  await post.waitFor()
  const listed = await api(page, `/groups/posts?group=${encodeURIComponent(g.id)}&limit=20`)
  const mine = listed.find((p) => p.text === words)
  assert.ok(mine, 'the API lists the post')
  assert.equal(mine.promotional, false)
  assert.equal(mine.sender, 'zhangsan')
  assert.equal(mine.send_key, `${key}:${g.id}`)
  assert.equal(await post.getAttribute('data-id'), String(mine.id))
  assert.equal(await text(post.locator(byTestId('group-post-text'))), words)
  assert.match(await text(post), /通知/)
  // Let it settle as the dispatcher leaves it, then compare the badge with the API.
  await page.waitForFunction(
    (id) => document.querySelector(`[data-testid="group-post"][data-id="${id}"]`)?.getAttribute('data-state') !== 'queued',
    mine.id,
    { timeout: 15_000 },
  ).catch(() => {})
  const now = (await api(page, `/groups/posts?group=${encodeURIComponent(g.id)}&limit=20`)).find((p) => p.id === mine.id)
  await page.waitForFunction(
    ([id, state]) => document.querySelector(`[data-testid="group-post"][data-id="${id}"]`)?.getAttribute('data-state') === state,
    [mine.id, now.state],
  )
  assert.equal(await text(post.locator(byTestId('group-post-state'))), STATES[now.state])
  if (now.state === 'failed') assert.equal(await text(post.locator(byTestId('group-post-error'))), `失败原因：${now.error}`)
  // A notice does not count against the ceiling.
  assert.equal((await api(page, '/groups')).groups.find((x) => x.id === g.id).promotional_today, 0)
})

test('the fourth promotional post of a day to one group is refused: 今日推广已满', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openGroups(page)
  const o = await api(page, '/groups')
  assert.equal(o.rules.promotional_per_day, 3, 'seed 002’s ceiling')
  const headers = await csrfHeaders(page)

  // The demo has no WeCom provider, so its dispatcher fails each post within a second, which
  // frees its place (docs/groups.md). The first three go through the API at once, the fourth
  // from the composer right after; when a failure came in between (its sent_at before the
  // fourth was made), that try proves nothing and another group is tried.
  const tried = []
  for (let attempt = 0; attempt < 4; attempt++) {
    const g = await freshGroup(page, tried)
    tried.push(g.id)
    if (attempt) await page.reload()
    await page.locator(byTestId('group-row')).first().waitFor()
    const composer = await composeFor(page, g.id, `今晚 8 点直播，草莓第 4 条推广 ${Date.now()}`)
    assert.equal(await composer.locator(byTestId('group-compose-kind-promotional')).getAttribute('class'), 'active', 'promotional by default')
    const stamp = Date.now()
    const answers = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const r = await page.request.post(`${baseUrl()}/api/v1/groups/posts`, {
          headers,
          data: { groups: [g.id], sender: 'zhangsan', text: `推广 ${i}`, promotional: true, key: `e2e-${stamp}-${i}` },
        })
        assert.equal(r.status(), 200, await r.text())
        return (await r.json())[0].outcome
      }),
    )
    assert.deepEqual(answers, ['queued', 'queued', 'queued'], 'three promotional posts fit')
    await composer.locator(byTestId('group-compose-submit')).click()
    const outcome = composer.locator(`${byTestId('group-post-outcome')}[data-group="${g.id}"]`)
    await outcome.waitFor()
    const posts = await api(page, `/groups/posts?group=${encodeURIComponent(g.id)}&limit=10`)
    if ((await outcome.getAttribute('data-outcome')) === 'capped') {
      t.diagnostic(`capped on try ${attempt + 1}`)
      assert.equal(await text(outcome.locator(byTestId('group-post-outcome-label'))), '今日推广已满')
      assert.match(await text(composer.locator(byTestId('group-post-summary'))), /1 个今日推广已满/)
      assert.equal(posts.filter((p) => p.promotional).length, 3, 'the fourth was not kept')
      // (The table's x/3 is checked against the API in the first test: here the demo's failing
      // dispatcher frees places while the page reads, so the count may already have moved.)
      await composer.locator(byTestId('group-compose-done')).click()
      return
    }
    // Queued: only because a place was freed before the fourth was made.
    const key = await composer.getAttribute('data-key')
    const fourth = posts.find((p) => p.send_key === `${key}:${g.id}`)
    assert.ok(fourth, 'the fourth post is listed')
    const freed = posts.some((p) => p.send_key.startsWith(`e2e-${stamp}`) && p.state === 'failed' && p.sent_at <= fourth.created_at)
    assert.ok(freed, `the fourth post was queued though three were counted: ${JSON.stringify(posts)}`)
  }
  assert.fail('the dispatcher freed a place before the fourth post every time')
})

test('an http picture is refused at its field, and nothing is posted', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openGroups(page)
  const g = (await api(page, '/groups')).groups[1]
  const before = await api(page, `/groups/posts?group=${encodeURIComponent(g.id)}&limit=50`)
  const composer = await composeFor(page, g.id, '新品海报')
  await composer.locator(byTestId('group-compose-add-image')).click()
  const attachment = composer.locator(byTestId('group-compose-attachment'))
  assert.equal(await attachment.getAttribute('data-type'), 'image')
  await attachment.locator(byTestId('group-attachment-url')).fill('http://cdn.example.com/poster.jpg')
  await composer.locator(byTestId('group-compose-submit')).click()
  const error = attachment.locator(`${byTestId('group-compose-error')}[data-field="attachments[0].url"]`)
  await error.waitFor()
  assert.match(await text(error), /须为 https:\/\/ 开头的地址/)
  assert.equal(await composer.locator(byTestId('group-post-outcome')).count(), 0, 'no outcome: the post was refused')
  assert.deepEqual(await api(page, `/groups/posts?group=${encodeURIComponent(g.id)}&limit=50`), before)

  // Removing the picture clears its error; the composer stays as it was.
  await attachment.locator(byTestId('group-compose-attachment-remove')).click()
  assert.equal(await composer.locator(byTestId('group-compose-error')).count(), 0)
  assert.equal(await composer.locator(byTestId('group-compose-text')).inputValue(), '新品海报')
})

test('an analyst reads the groups but has no composer', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openGroups(page)
  assert.ok((await page.locator(byTestId('group-row')).count()) > 0)
  assert.equal(await page.locator(byTestId('group-compose-open')).count(), 0)
  await page.locator(byTestId('group-row')).first().click()
  await page.locator(byTestId('group-detail-id')).waitFor()
  assert.equal(await page.locator(byTestId('group-detail-compose')).count(), 0)
})

test('with no group yet, 社群 explains where groups come from', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  // A store with no group events: the API's answer for one, in place of the demo's.
  await page.route('**/api/v1/groups?*', (route) =>
    route.fulfill({ json: { groups: [], silent: 0, rules: { promotional_per_day: 3 } } }),
  )
  await openGroups(page)
  assert.equal(await text(figure(page, 'groups')), '0')
  assert.equal(await text(figure(page, 'promotional')), '0 / 0')
  const empty = page.locator(byTestId('groups-empty'))
  await empty.waitFor()
  const words = await text(empty)
  assert.match(words, /还没有社群数据/)
  for (const hint of ['Group Joined', 'Group Left', 'Group Messaged', 'group_id', 'group_name', '15 天']) {
    assert.ok(words.includes(hint), `the explanation mentions ${hint}`)
  }
  assert.equal(await page.locator(byTestId('group-row')).count(), 0)
  assert.equal(await page.locator(byTestId('group-compose-open')).count(), 0, 'nothing to post to')
})
