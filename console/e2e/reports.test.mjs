// Browser tests of the reports page (报表) against a running server with the demo store loaded
// (see lib.mjs): the charts draw, the server's table is beneath them, the CSV link carries the
// same query, and the query lives in the URL.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'

const TIMEOUT = 120_000
const freshPage = pagesPerTest()

/** The CSV link's path and query. */
async function csvLink(page) {
  const href = await page.locator(byTestId('report-csv')).getAttribute('href')
  assert.ok(href, 'the CSV link has an href')
  return new URL(href, baseUrl())
}

/** Waits for a chart's canvas and for the table to have rows; returns the row count. */
async function chartAndTable(page, chart) {
  await page.locator(`${byTestId(chart)} canvas`).first().waitFor()
  await page.locator(`${byTestId('report-table')} ${byTestId('report-row')}`).first().waitFor()
  await settle(page)
  return page.locator(`${byTestId('report-table')} ${byTestId('report-row')}`).count()
}

test('owner opens the reports: cohort heatmap and table, then repurchase and the funnel, each with its CSV', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  assert.equal((await page.locator(byTestId('nav-reports')).innerText()).trim(), '报表')
  await page.click(byTestId('nav-reports'))
  await page.waitForSelector(byTestId('reports-page'))

  // Cohorts by default: the heatmap, the retention curves and the table of the server.
  assert.ok((await chartAndTable(page, 'report-chart-heatmap')) > 0, 'the cohort table has rows')
  await page.locator(`${byTestId('report-chart-curves')} canvas`).first().waitFor()
  const headers = await page.locator(`${byTestId('report-table')} th`).allInnerTexts()
  assert.ok(headers.length > 2, `cohort headers ${JSON.stringify(headers)}`)
  assert.ok(headers.some((h) => /[\u4e00-\u9fff]/.test(h)), `headers in Chinese: ${JSON.stringify(headers)}`)
  let csv = await csvLink(page)
  assert.equal(csv.pathname, '/api/v1/reports/cohorts/export.csv')
  assert.equal(csv.searchParams.get('grain'), 'week')
  assert.equal(csv.searchParams.get('by'), 'first_order')
  assert.equal(csv.searchParams.get('lang'), 'zh-CN')
  assert.ok(csv.searchParams.get('workspace'), 'the CSV names the store')

  // The active matrix is a toggle kept in the URL.
  await page.click(byTestId('cohort-metric-active'))
  await page.waitForURL((url) => url.searchParams.get('metric') === 'active')
  await page.locator(`${byTestId('report-chart-heatmap')} canvas`).first().waitFor()

  // Monthly grain: the URL and the CSV follow.
  await page.click(byTestId('report-grain-month'))
  await page.waitForURL((url) => url.searchParams.get('grain') === 'month')
  await settle(page)
  csv = await csvLink(page)
  assert.equal(csv.searchParams.get('grain'), 'month')

  // 复购率: 7/30-day rates by period.
  await page.click(byTestId('report-kind-repurchase'))
  await page.waitForURL((url) => url.searchParams.get('kind') === 'repurchase')
  assert.ok((await chartAndTable(page, 'report-chart-repurchase')) > 0, 'the repurchase table has rows')
  csv = await csvLink(page)
  assert.equal(csv.pathname, '/api/v1/reports/repurchase/export.csv')
  assert.equal(csv.searchParams.get('grain'), 'month')
  assert.equal(csv.searchParams.get('by'), null, 'repurchase is not grouped')

  // The funnel: five stages, no grain.
  await page.click(byTestId('report-kind-funnel'))
  await page.waitForURL((url) => url.searchParams.get('kind') === 'funnel')
  assert.equal(await chartAndTable(page, 'report-chart-funnel'), 5, 'the funnel has five stages')
  csv = await csvLink(page)
  assert.equal(csv.pathname, '/api/v1/reports/funnel/export.csv')
  assert.equal(csv.searchParams.get('grain'), null)
  assert.equal(csv.searchParams.get('lang'), 'zh-CN')

  // The link downloads a CSV with the session cookie, headed in Chinese.
  const res = await page.request.get(csv.toString())
  assert.equal(res.status(), 200)
  assert.match(res.headers()['content-type'] ?? '', /text\/csv/)
  assert.match(await res.text(), /吸引/)

  // The URL is the view: a reload (or a shared link) opens the same report.
  await page.reload()
  await page.locator(`${byTestId('report-chart-funnel')} canvas`).first().waitFor()
  assert.equal(await page.locator(`${byTestId('report-kind-funnel')}.active`).count(), 1)
})

test('wake-up states the comparison in words, with the observational note', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.goto(`${baseUrl()}/reports?kind=wakeup&days=30`)
  await page.waitForSelector(byTestId('reports-page'))
  await settle(page)
  const empty = await page.locator(byTestId('report-empty')).count()
  if (!empty) {
    await page.locator(`${byTestId('report-chart-wakeup')} canvas`).first().waitFor()
    const summary = (await page.locator(byTestId('report-wakeup-summary')).innerText()).trim()
    assert.match(summary, /百分点.*95%置信区间.*p [=<]|样本太少/, summary)
    assert.match(await page.locator(byTestId('report-wakeup-note')).innerText(), /观察性/)
  }
  assert.equal(await page.locator(byTestId('report-days')).inputValue(), '30')
})

test('a window without data shows the empty state in Chinese', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.goto(`${baseUrl()}/reports?kind=repurchase&from=2001-01-01&to=2001-01-31`)
  await page.locator(byTestId('report-empty')).waitFor()
  assert.match(await page.locator(byTestId('report-empty')).innerText(), /没有数据/)
  assert.equal(await page.locator(byTestId('report-from')).inputValue(), '2001-01-01')
})

test('journeys: the empty state says how to get figures; a published split journey then shows its entries and its A/B readout', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const name = `分流实验-${Date.now()}`
  await page.goto(`${baseUrl()}/reports?kind=journeys&from=2001-01-01&to=2001-01-31`)
  await page.locator(byTestId('report-empty')).waitFor()
  assert.match(await page.locator(byTestId('report-empty')).innerText(), /发布旅程.*留出组/s)
  assert.equal(await page.locator(byTestId('report-days')).inputValue(), '7', 'a week\'s conversion window by default')

  // A journey with a 50/50 split against a holdout, published through the API the console uses.
  const me = await (await page.request.get(`${baseUrl()}/api/v1/auth/me`)).json()
  const headers = { 'X-CSRF-Token': me.csrf_token }
  const definition = {
    trigger: { type: 'event', event: 'Order Completed' },
    steps: [
      { id: 'split', type: 'split', holdout_percent: 50, variants: [{ name: 'A', percent: 50, next: 'wait' }] },
      { id: 'wait', type: 'wait', minutes: 60 },
    ],
    goal: { within_days: 7 },
  }
  const created = await page.request.post(`${baseUrl()}/api/v1/journeys`, { data: { name, definition }, headers })
  assert.equal(created.status(), 201, await created.text())
  const { id } = await created.json()
  const published = await page.request.post(`${baseUrl()}/api/v1/journeys/${id}/publish`, { headers })
  assert.equal(published.status(), 200, await published.text())

  // Twenty first orders today enter it.
  const now = new Date().toISOString()
  const stamp = Date.now()
  const batch = {
    batch: Array.from({ length: 20 }, (_, i) => ({
      type: 'track', userId: `ab-${stamp}-${i}`, event: 'Order Completed', timestamp: now,
      properties: { order_id: `ab-${stamp}-${i}`, revenue: 29.9 },
    })),
  }
  const auth = `Basic ${Buffer.from(`${env('REKINDLE_WRITE_KEY')}:`).toString('base64')}`
  assert.equal((await page.request.post(`${baseUrl()}/v1/batch`, { data: batch, headers: { Authorization: auth } })).status(), 200)
  let entered = 0
  for (let i = 0; i < 150 && entered < 20; i++) {
    await new Promise((r) => setTimeout(r, 200))
    const r = await (await page.request.get(`${baseUrl()}/api/v1/reports/journeys`)).json()
    const j = r.answer.journeys.find((x) => x.name === name)
    entered = j ? j.arms.reduce((n, a) => n + a.entered, 0) : 0
  }
  assert.equal(entered, 20, 'every order entered the journey')

  await page.goto(`${baseUrl()}/reports?kind=journeys`)
  await page.locator(`${byTestId('report-chart-journeys')} canvas`).first().waitFor()
  const line = page.locator(byTestId('report-journey-line')).filter({ hasText: name })
  assert.match(await line.innerText(), /进入 20 人，其中 0 人已满 7 天/)
  assert.ok((await page.locator(`${byTestId('report-table')} ${byTestId('report-row')}`).count()) >= 3, 'a row per arm and the total')
  let csv = new URL(await page.locator(byTestId('report-csv')).getAttribute('href'), baseUrl())
  assert.equal(csv.pathname, '/api/v1/reports/journeys/export.csv')
  assert.equal(csv.searchParams.get('days'), '7')

  await page.click(byTestId('report-kind-experiments'))
  await page.waitForURL((url) => url.searchParams.get('kind') === 'experiments')
  const arm = page.locator(byTestId('report-experiment')).filter({ hasText: name }).locator(byTestId('report-experiment-arm'))
  await arm.first().waitFor()
  assert.match(await arm.first().innerText(), /A 对比 留出组/)
  assert.match(await arm.first().locator(byTestId('report-experiment-waiting')).innerText(), /满 7 天/)
  csv = new URL(await page.locator(byTestId('report-csv')).getAttribute('href'), baseUrl())
  assert.equal(csv.pathname, '/api/v1/reports/experiments/export.csv')
})

test('the owner sets a team target in settings and the dashboard shows where the store stands', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.locator(byTestId('team-targets')).waitFor()
  assert.match(await page.locator(byTestId('team-targets-empty')).innerText(), /还没有设定团队目标/)

  await page.click(byTestId('team-targets-edit'))
  await page.locator(byTestId('settings-targets')).waitFor()
  await page.click(byTestId('target-add'))
  const row = page.locator(byTestId('target-row')).first()
  await row.locator(byTestId('target-team')).selectOption('live')
  await row.locator(byTestId('target-kpi')).selectOption('repurchase_7d')
  await row.locator(byTestId('target-percent')).fill('20')
  await page.click(byTestId('targets-save'))
  await page.locator(byTestId('targets-saved')).waitFor()

  await page.click(byTestId('nav-dashboard'))
  const target = page.locator(byTestId('team-target')).first()
  await target.waitFor()
  const text = await target.innerText()
  assert.match(text, /直播团队.*新客 7 日复购率/s)
  assert.match(text, /目标 20%/)
  assert.match(await target.locator(byTestId('team-target-rate')).innerText(), /%|—/)
  assert.ok(['true', 'false', 'null'].includes(await target.getAttribute('data-met')))
})
