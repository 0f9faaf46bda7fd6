// Browser tests of the customer-service pages (售后工单, 客服会话, 知识库) against a running server
// with the demo store loaded (see lib.mjs). The store is shared with the other test files, which
// run at the same time: the tickets and conversations made here are for people no other test
// reads (not REKINDLE_PHONE's), every ticket opened is resolved, every entry added is deleted,
// and the settings tried here are refused, so nothing is left changed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'
import { csrfHeaders } from './liveEvents.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()

const text = async (page, testid) => (await page.locator(byTestId(testid)).first().innerText()).trim()
const api = async (page, path) => {
  const r = await page.request.get(`${baseUrl()}/api/v1${path}`)
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`)
  return r.json()
}
/** A run's own mark, so that what it makes is told apart from another run's. */
const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
/** The zh-CN reason labels (src/i18n/zh-CN.ts, `service.reasons`). */
const REASONS_ZH = { late: '配送延迟', spoiled: '变质损坏', short_weight: '缺斤少两', other: '其他' }

/**
 * A person with a phone whom no other test reads (not REKINDLE_PHONE's), from the middle of the
 * list of the earliest seen: the `skip`th of those `fits` lets through (each test its own).
 */
async function somebody(page, skip, fits = () => true) {
  const list = await api(page, '/people/list?sort=first_seen&order=asc&per_page=50&page=3')
  const fit = list.people.filter((p) => p.phone && p.phone !== env('REKINDLE_PHONE_FULL') && fits(p))
  assert.ok(fit.length > skip, 'the demo has people with phones')
  return fit[skip]
}

async function openSection(page, testid, name, ready) {
  const nav = page.locator(byTestId(testid))
  assert.equal((await nav.innerText()).trim(), name)
  await nav.click()
  await page.waitForSelector(byTestId(ready))
  await settle(page)
}

test('the after-sales queue lists the open tickets, the 48-hour figures and churn by speed, agreeing with the API', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openSection(page, 'nav-service-tickets', '售后工单', 'ticket-queue')
  await page.locator(byTestId('figure-rate-in-time')).waitFor()

  const open = await api(page, '/service/tickets?status=open&limit=200')
  assert.ok(open.open > 0, 'the demo store has open tickets')
  assert.equal(await text(page, 'figure-rate-label'), '48小时解决率')
  assert.match(await text(page, 'figure-rate-in-time'), /^\d+(\.\d)?%$/)
  assert.equal(await text(page, 'ticket-status-open'), `待处理 · ${open.open}`)
  assert.equal(await text(page, 'ticket-status-overdue'), `已超时 · ${open.overdue}`)
  assert.equal(await text(page, 'figure-open'), String(open.open))

  // Every open ticket, the longest waiting first, with its reason in words and its time left.
  const ids = await page.locator(`${byTestId('ticket-row')}`).evaluateAll((rows) => rows.map((r) => r.dataset.id))
  assert.deepEqual(ids, open.tickets.map((x) => x.id))
  for (const x of open.tickets) {
    const row = page.locator(`${byTestId('ticket-row')}[data-id="${x.id}"]`)
    const due = (await row.locator(byTestId('ticket-due')).innerText()).trim()
    assert.match(due, x.late ? /^已超时 / : /^剩 /, `${x.id}: ${due}`)
    if (REASONS_ZH[x.reason]) assert.equal((await row.locator(byTestId('ticket-reason')).innerText()).trim(), REASONS_ZH[x.reason])
  }

  // Churn by how fast incidents were resolved: four speeds, the chart beside them.
  const speeds = await page.locator(byTestId('churn-row')).evaluateAll((rows) => rows.map((r) => r.dataset.speed))
  assert.deepEqual(speeds, ['within_24h', 'within_48h', 'over_48h', 'unresolved'])
  assert.match(await text(page, 'service-churn'), /售后后 30 天内未再下单记为流失/)
  assert.equal(await page.locator(`${byTestId('churn-chart')} canvas`).count(), 1)

  // 已超时 lists only the overdue ones.
  await page.click(byTestId('ticket-status-overdue'))
  await page.locator(`${byTestId('ticket-queue')}[data-status="overdue"]`).waitFor()
  await settle(page)
  const late = await page.locator(byTestId('ticket-row')).evaluateAll((rows) => rows.map((r) => r.dataset.late))
  assert.equal(late.length, open.overdue)
  assert.ok(late.every((l) => l === 'true'))
})

test('the service opens a ticket for a customer by phone, assigns it, notes it and resolves it', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const who = await somebody(page, 0)
  await openSection(page, 'nav-service-tickets', '售后工单', 'ticket-queue')

  await page.click(byTestId('ticket-new'))
  await page.fill(byTestId('ticket-form-person'), who.phone.replace(/^\+86/, ''))
  await page.selectOption(byTestId('ticket-form-reason'), 'spoiled')
  await page.fill(byTestId('ticket-form-order'), `e2e-${RUN}`)
  await page.fill(byTestId('ticket-form-note'), '顾客说收到的牛奶已经胀袋')
  await page.click(byTestId('ticket-form-submit'))

  // The new ticket opens in the side panel.
  const detail = page.locator(`${byTestId('ticket-detail')}[data-status="open"]`)
  await detail.waitFor()
  const id = await detail.getAttribute('data-id')
  assert.match(id, /^k[0-9a-f]{10}$/)
  assert.equal(await text(page, 'ticket-detail-person'), who.name)
  assert.equal(await page.locator(byTestId('ticket-note')).count(), 1)
  assert.match(await text(page, 'ticket-notes'), /顾客说收到的牛奶已经胀袋/)
  const row = page.locator(`${byTestId('ticket-row')}[data-id="${id}"]`)
  await row.waitFor()
  assert.equal((await row.locator(byTestId('ticket-reason')).innerText()).trim(), '变质损坏')

  await page.fill(byTestId('ticket-assignee-input'), '客服小王')
  await page.click(byTestId('ticket-assign-submit'))
  await page.waitForFunction(() => document.querySelector('[data-testid="ticket-detail-assignee"]')?.textContent?.trim() === '客服小王')
  await page.waitForFunction((id) => document.querySelector(`[data-testid="ticket-row"][data-id="${id}"] [data-testid="ticket-assignee"]`)?.textContent?.trim() === '客服小王', id)

  await page.fill(byTestId('ticket-note-input'), '已联系顾客，安排补发')
  await page.click(byTestId('ticket-note-submit'))
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="ticket-note"]').length === 2)
  const notes = await page.locator(byTestId('ticket-note')).allInnerTexts()
  assert.match(notes[1], /已联系顾客，安排补发/)
  assert.doesNotMatch(notes[1], /系统/, 'a note names who wrote it')

  await page.fill(byTestId('ticket-resolution-input'), '补发一箱牛奶并致歉')
  await page.click(byTestId('ticket-resolve-submit'))
  await page.locator(`${byTestId('ticket-detail')}[data-status="resolved"]`).waitFor()
  assert.equal(await text(page, 'ticket-detail-resolution'), '补发一箱牛奶并致歉')
  assert.equal(await page.locator(byTestId('ticket-resolve-submit')).count(), 0, 'a ticket resolves once')
  await page.locator(`${byTestId('ticket-row')}[data-id="${id}"]`).waitFor({ state: 'detached' })

  // It is under 已解决 now, resolved in time.
  await page.click(byTestId('ticket-detail-close'))
  await page.click(byTestId('ticket-status-resolved'))
  const resolved = page.locator(`${byTestId('ticket-row')}[data-id="${id}"]`)
  await resolved.waitFor()
  assert.equal((await resolved.locator(byTestId('ticket-due')).innerText()).trim(), '按时解决')
  assert.equal((await resolved.locator(byTestId('ticket-assignee')).innerText()).trim(), '客服小王')
  const listed = await api(page, '/service/tickets?status=resolved&limit=50')
  const mine = listed.tickets.find((x) => x.id === id)
  assert.ok(mine, 'the API lists it as resolved')
  assert.equal(mine.resolution, '补发一箱牛奶并致歉')
  assert.equal(mine.person, who.id)
})

test('conversations wait oldest first; a reply typed in the console takes the customer off the list', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  // Somebody not waiting already, so that the wait begins with what they write now.
  const already = new Set((await api(page, '/service/conversations?limit=1000')).waiting.map((w) => w.person))
  const who = await somebody(page, 1, (p) => !already.has(p.id))
  // A customer writes in (as a chat bridge would record it).
  const r = await page.request.post(`${baseUrl()}/api/v1/service/messages`, {
    data: { person: who.id, direction: 'inbound', text: '鸡蛋能放多久？', channel: 'wecom' },
    headers: await csrfHeaders(page),
  })
  assert.equal(r.status(), 202, await r.text())

  await openSection(page, 'nav-service-conversations', '客服会话', 'waiting-list')
  await page.locator(byTestId('reply-share-working')).waitFor()
  const waiting = await api(page, '/service/conversations?limit=200')
  assert.ok(waiting.total <= 200, 'every waiting customer is listed')
  const shown = await page.locator(byTestId('waiting-row')).evaluateAll((rows) => rows.map((r) => [r.dataset.person, r.dataset.askedAt]))
  assert.deepEqual(shown.map((x) => x[0]), waiting.waiting.map((w) => w.person))
  const times = shown.map((x) => Date.parse(x[1]))
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'the longest waiting first')

  const row = page.locator(`${byTestId('waiting-row')}[data-person="${who.id}"]`)
  assert.equal((await row.locator(byTestId('waiting-text')).innerText()).trim(), '鸡蛋能放多久？')
  const suggestion = row.locator(byTestId('waiting-suggestion'))
  assert.equal(await suggestion.getAttribute('data-entry'), 'shelf-life-eggs')
  const expected = waiting.waiting.find((w) => w.person === who.id).suggestion.answer

  // The suggested answer fills the reply box; sending it records the reply.
  await row.locator(byTestId('waiting-use-suggestion')).click()
  await page.locator(`${byTestId('thread')}[data-person="${who.id}"] ${byTestId('thread-line')}`).first().waitFor()
  assert.equal(await page.locator(byTestId('thread-reply-input')).inputValue(), expected)
  await page.click(byTestId('thread-reply-submit'))
  await page.locator(byTestId('thread-replied')).waitFor()
  await row.waitFor({ state: 'detached' })
  const lines = page.locator(`${byTestId('thread-line')}[data-inbound="false"]`)
  await lines.last().waitFor()
  assert.match(await lines.last().innerText(), new RegExp(expected.slice(0, 12).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  assert.ok(!(await api(page, '/service/conversations?limit=200')).waiting.some((w) => w.person === who.id))
  const thread = await api(page, `/service/conversations/${who.id}`)
  const reply = thread.lines.at(-1)
  assert.equal(reply.inbound, false)
  assert.equal(reply.text, expected)
  assert.ok(reply.staff, 'the reply names who sent it')

  // The figures per staff member are there.
  assert.ok((await page.locator(byTestId('staff-row')).count()) > 0)
})

test('a working-hours span that closes before it opens is refused at its input, and nothing is saved', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const before = await api(page, '/service/settings')
  await openSection(page, 'nav-service-conversations', '客服会话', 'service-settings')
  await page.locator(byTestId('settings-span')).first().waitFor()
  const span = page.locator(`${byTestId('settings-span')}[data-index="0"]`)
  await span.locator(byTestId('settings-span-close')).fill('08:00')
  await page.click(byTestId('settings-save'))
  const error = span.locator(byTestId('settings-field-error'))
  await error.waitFor()
  assert.equal(await error.getAttribute('data-field'), 'sla.hours.spans[0].close')
  assert.equal((await error.innerText()).trim(), '结束须晚于开始（同一天内）')
  await page.locator(byTestId('settings-failed')).waitFor()
  assert.deepEqual(await api(page, '/service/settings'), before, 'nothing was saved')
  await page.click(byTestId('settings-reset'))
  assert.equal(await page.locator(byTestId('settings-field-error')).count(), 0)
})

test('the knowledge base answers 牛奶开了能放几天 and hands off a question it has no entry for', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openSection(page, 'nav-service-faq', '知识库', 'faq-entries')

  await page.fill(byTestId('faq-try-input'), '牛奶开了能放几天')
  await page.click(byTestId('faq-try-submit'))
  const answered = page.locator(`${byTestId('faq-try-result')}[data-answered="true"]`)
  await answered.waitFor()
  assert.equal(await text(page, 'faq-try-verdict'), '回答')
  assert.equal(await page.locator(byTestId('faq-try-answer')).getAttribute('data-entry'), 'shelf-life-milk')
  assert.match(await text(page, 'faq-try-answer'), /开封后/)
  assert.match(await text(page, 'faq-try-confidence'), /^置信度 \d+%$/)

  await page.fill(byTestId('faq-try-input'), '你们老板叫什么名字')
  await page.click(byTestId('faq-try-submit'))
  await page.locator(`${byTestId('faq-try-result')}[data-answered="false"]`).waitFor()
  assert.equal(await text(page, 'faq-try-verdict'), '转人工')
  assert.match(await text(page, 'faq-try-handoff'), /低于门槛 36%/)
  assert.ok((await page.locator(byTestId('faq-try-candidate')).count()) > 0, 'the nearest entries are shown')

  // The question handed off is offered as an entry to write.
  await page.locator(`${byTestId('faq-handoff')}[data-question="你们老板叫什么名字"]`).waitFor()
})

test('an entry added in the console answers its question, and is deleted again', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openSection(page, 'nav-service-faq', '知识库', 'faq-entries')
  const question = `榴莲千层蛋糕要提前几天预订（${RUN}）`
  let id = null
  try {
    await page.click(byTestId('faq-new'))
    await page.locator(byTestId('faq-editor')).waitFor()
    id = await page.locator(byTestId('faq-editor-id')).inputValue()
    assert.match(id, /^faq-\d{8}-\d{6}-[a-z0-9]+$/, 'a new entry is given an id')
    await page.fill(byTestId('faq-editor-category'), '蛋糕预订')
    await page.fill(byTestId('faq-editor-question'), question)
    await page.fill(byTestId('faq-editor-alternatives'), '榴莲千层几天前要订\n千层蛋糕预订要提前多久')
    await page.fill(byTestId('faq-editor-answer'), '榴莲千层蛋糕请至少提前 2 天预订。')
    await page.click(byTestId('faq-editor-save'))
    await page.locator(byTestId('faq-editor')).waitFor({ state: 'detached' })
    const row = page.locator(`${byTestId('faq-entry')}[data-id="${id}"]`)
    await row.waitFor()

    await page.fill(byTestId('faq-try-input'), '榴莲千层几天前要订')
    await page.click(byTestId('faq-try-submit'))
    await page.locator(`${byTestId('faq-try-result')}[data-answered="true"] ${byTestId('faq-try-answer')}[data-entry="${id}"]`).waitFor()
    assert.equal(await text(page, 'faq-try-answer'), '榴莲千层蛋糕请至少提前 2 天预订。')

    // Found by the filter, then deleted after a confirmation.
    await page.fill(byTestId('faq-filter'), RUN)
    assert.equal(await page.locator(byTestId('faq-entry')).count(), 1)
    page.once('dialog', (d) => void d.accept())
    await row.locator(byTestId('faq-entry-delete')).click()
    await row.waitFor({ state: 'detached' })
    const kb = await api(page, '/faq/entries')
    assert.ok(!kb.entries.some((e) => e.id === id), 'the entry is gone')
    id = null
  } finally {
    if (id) await page.request.delete(`${baseUrl()}/api/v1/faq/entries/${id}`, { headers: await csrfHeaders(page) })
  }
})

test('a CSV with a bad line is refused by its line, and nothing is imported', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openSection(page, 'nav-service-faq', '知识库', 'faq-import')
  const before = (await api(page, '/faq/entries')).entries.length
  const csv = `编号,分类,问题,其他问法,答案\ne2e-${RUN},测试,测试问题一,说法一|说法二,答案一\n,测试,测试问题二,,答案二\n`
  await page.fill(byTestId('faq-import-csv'), csv)
  await page.click(byTestId('faq-import-submit'))
  const error = page.locator(byTestId('faq-import-error'))
  await error.waitFor()
  assert.equal(await error.getAttribute('data-line'), '3')
  assert.match((await error.innerText()).trim(), /^第 3 行（编号）：/)
  assert.equal((await api(page, '/faq/entries')).entries.length, before, 'nothing was imported')
})

test('an analyst reads the queue, the conversations and the knowledge base, with nothing to change them', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))

  await openSection(page, 'nav-service-tickets', '售后工单', 'ticket-queue')
  await page.locator(byTestId('ticket-row')).first().click()
  await page.locator(byTestId('ticket-read-only')).waitFor()
  for (const testid of ['ticket-new', 'ticket-note-input', 'ticket-assignee-input', 'ticket-resolve-submit']) {
    assert.equal(await page.locator(byTestId(testid)).count(), 0, `no ${testid}`)
  }

  await openSection(page, 'nav-service-conversations', '客服会话', 'service-settings')
  await page.locator(byTestId('service-settings-read-only')).waitFor()
  assert.equal(await page.locator(byTestId('settings-save')).count(), 0, 'no Save button')
  assert.equal(await page.locator(byTestId('settings-resolve-hours')).isDisabled(), true, 'the settings are read-only')
  const rows = page.locator(byTestId('waiting-row'))
  if (await rows.count()) {
    assert.equal(await page.locator(byTestId('waiting-use-suggestion')).count(), 0, 'no suggestion to use')
    await rows.first().click()
    await page.locator(byTestId('thread-read-only')).waitFor()
    assert.equal(await page.locator(byTestId('thread-reply-input')).count(), 0, 'no reply box')
  }

  await openSection(page, 'nav-service-faq', '知识库', 'faq-entries')
  for (const testid of ['faq-new', 'faq-entry-edit', 'faq-entry-delete', 'faq-import', 'faq-handoff-add', 'faq-handoff-alternative']) {
    assert.equal(await page.locator(byTestId(testid)).count(), 0, `no ${testid}`)
  }
  await page.fill(byTestId('faq-try-input'), '鸡蛋能放多久')
  await page.click(byTestId('faq-try-submit'))
  await page.locator(`${byTestId('faq-try-result')}[data-answered="true"]`).waitFor()

  // The server refuses them too.
  const headers = await csrfHeaders(page)
  const opened = await page.request.post(`${baseUrl()}/api/v1/service/tickets`, {
    data: { person: env('REKINDLE_PHONE'), reason: 'late' },
    headers,
    failOnStatusCode: false,
  })
  assert.equal(opened.status(), 403)
  const put = await page.request.put(`${baseUrl()}/api/v1/faq/entries/e2e-${RUN}`, {
    data: { id: `e2e-${RUN}`, question: '问', answer: '答' },
    headers,
    failOnStatusCode: false,
  })
  assert.equal(put.status(), 403)
})
