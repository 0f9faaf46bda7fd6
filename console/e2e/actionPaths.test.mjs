// Browser test of action paths (等待行为) and date and weekday waits in the journey editor: built
// by hand, drawn with one way per event and one for the timeout, saved, read back after a reload
// exactly as the API keeps it, and published.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, env, login, pagesPerTest } from './lib.mjs'
import { buildActionPath, shootFlow, step } from './actionPath.mjs'

const TIMEOUT = 120_000
const freshPage = pagesPerTest()

const text = async (locator) => (await locator.first().innerText()).trim()
const edge = (page, from, to, kind) =>
  page.locator(`${byTestId('flow-edge')}[data-from="${from}"][data-to="${to}"][data-kind="${kind}"]`)
const edgeLabel = (page, from, to) => page.locator(`${byTestId('flow-edge-label')}[data-from="${from}"][data-to="${to}"]`)

test('owner builds an action path with two events and a timeout and a wait until a date; it reads back as saved', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.click(byTestId('nav-journeys'))
  await page.waitForSelector(byTestId('journeys'))
  await page.click(byTestId('journey-new'))
  await page.waitForSelector(byTestId('journey-flow'))

  // The type menu names it in the operator's words.
  await page.click(byTestId('step-add-first'))
  assert.equal(await text(page.locator(`${byTestId('step-type-option')}[data-type="wait_for"]`)), '等待行为')
  await page.keyboard.press('Escape') // closed again: buildActionPath opens it itself
  await page.locator(byTestId('step-type-menu')).waitFor({ state: 'detached' })
  await buildActionPath(page, `行为路径 ${Date.now()}`)

  const watch = step(page, 'wait_for_1')
  assert.equal(await text(watch.locator(byTestId('step-type-label'))), '等待行为')
  assert.match(await text(watch), /等待以下任一事件/)
  assert.match(await text(watch), /仅限本旅程发出的消息/)
  assert.match(await text(watch), /超时（48 小时）后/)
  assert.match(await text(step(page, 'branch_1').locator(byTestId('step-rule-did-hint'))), /做过 "Message Clicked" 近 48小时/)

  // One way per event, labelled with its Chinese name, and one for the timeout.
  await edge(page, 'wait_for_1', 'webhook_1', 'path').waitFor({ state: 'attached' })
  await edge(page, 'wait_for_1', 'wait_1', 'path').waitFor({ state: 'attached' })
  await edge(page, 'wait_for_1', 'coupon_1', 'timeout').waitFor({ state: 'attached' })
  assert.equal(await text(edgeLabel(page, 'wait_for_1', 'webhook_1')), '完成下单')
  assert.equal(await text(edgeLabel(page, 'wait_for_1', 'wait_1')), '点击消息')
  assert.equal(await text(edgeLabel(page, 'wait_for_1', 'coupon_1')), '超时（48 小时）')

  // An audience on what people did is a journey's own: no segment count, and no error either.
  await page.fill(byTestId('journey-audience-input'), '没有 做过 "Order Completed" 近 30天')
  await page.locator(byTestId('journey-audience-history')).waitFor()
  await page.waitForTimeout(600) // past the preview's 400 ms debounce
  assert.equal(await page.locator(byTestId('rule-error')).count(), 0)

  await page.click(byTestId('journey-save'))
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  await page.locator(`${byTestId('journey-problems')}[data-count="0"]`).waitFor()

  // Read back: the definition as the API keeps it, and the cards as the editor shows it.
  const id = new URL(page.url()).pathname.split('/').pop()
  const answer = page.waitForResponse(
    (r) => r.request().method() === 'GET' && new URL(r.url()).pathname === `/api/v1/journeys/${id}`,
  )
  await page.reload()
  const journey = await (await answer).json()
  const steps = Object.fromEntries(journey.draft.steps.map((s) => [s.id, s]))
  assert.deepEqual(steps.wait_for_1, {
    id: 'wait_for_1',
    type: 'wait_for',
    paths: [
      { event: 'Order Completed', next: 'webhook_1' },
      { event: 'Message Clicked', this_journey: true, next: 'wait_1' },
    ],
    timeout_minutes: 2880,
    on_timeout: 'coupon_1',
  })
  assert.deepEqual(steps.wait_1, {
    id: 'wait_1',
    type: 'wait',
    date: { field: 'trigger.delivered_at', offset_days: 2, at: '19:00' },
  })
  assert.deepEqual(steps.wait_2, { id: 'wait_2', type: 'wait', until: '10:00', weekdays: [1, 4], next: 'branch_1' })
  assert.equal(journey.draft.audience, '没有 做过 "Order Completed" 近 30天')
  assert.equal(steps.branch_1.then, 'coupon_1')
  assert.equal(steps.branch_1.else, 'exit_1')

  await page.waitForSelector(byTestId('journey-flow'))
  await watch.waitFor()
  const paths = watch.locator(byTestId('step-path'))
  assert.equal(await paths.count(), 2)
  assert.equal(await paths.nth(0).locator(byTestId('step-path-event')).inputValue(), 'Order Completed')
  assert.equal(await paths.nth(1).locator(byTestId('step-path-event')).inputValue(), 'Message Clicked')
  // Only a message event offers "this journey's message".
  assert.equal(await paths.nth(0).locator(byTestId('step-path-this-journey')).count(), 0)
  assert.equal(await paths.nth(1).locator(byTestId('step-path-this-journey')).isChecked(), true)
  assert.equal(await paths.nth(1).locator(byTestId('step-path-next')).inputValue(), 'wait_1')
  // 2880 minutes reads back in the largest whole unit, as a wait's length does.
  assert.equal(await watch.locator(byTestId('step-timeout-amount')).inputValue(), '2')
  assert.equal(await watch.locator(byTestId('step-timeout-unit')).inputValue(), 'days')
  assert.equal(await text(edgeLabel(page, 'wait_for_1', 'coupon_1')), '超时（2 天）')
  assert.equal(await watch.locator(byTestId('step-on-timeout')).inputValue(), 'coupon_1')
  const date = step(page, 'wait_1')
  assert.equal(await date.locator(byTestId('step-wait-mode')).inputValue(), 'date')
  assert.equal(await date.locator(byTestId('step-wait-date-source')).inputValue(), 'trigger')
  assert.equal(await date.locator(byTestId('step-wait-date-property')).inputValue(), 'delivered_at')
  assert.equal(await date.locator(byTestId('step-wait-date-offset')).inputValue(), '2')
  assert.equal(await date.locator(byTestId('step-wait-date-at')).inputValue(), '19:00')
  const weekly = step(page, 'wait_2')
  assert.equal(await weekly.locator(byTestId('step-wait-mode')).inputValue(), 'until')
  const chosen = await weekly
    .locator(`${byTestId('step-wait-weekday')}[aria-pressed="true"]`)
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-day')))
  assert.deepEqual(chosen, ['1', '4'])
  await edge(page, 'wait_for_1', 'coupon_1', 'timeout').waitFor({ state: 'attached' })

  if (process.env.SCREENSHOT_ACTION_PATH) {
    await shootFlow(page, process.env.SCREENSHOT_ACTION_PATH)
  }

  // An emptied event is the API's problem, shown on that path.
  await paths.nth(0).locator(byTestId('step-path-event')).selectOption('__other')
  await paths.nth(0).locator(byTestId('step-path-event-other')).fill('')
  await page.click(byTestId('journey-save'))
  await watch.locator(`${byTestId('step-problem')}[data-field="steps[0].paths[0].event"]`).waitFor()
  await paths.nth(0).locator(byTestId('step-path-event')).selectOption('Order Completed')
  await page.click(byTestId('journey-save'))
  await page.locator(`${byTestId('journey-problems')}[data-count="0"]`).waitFor()

  // Published: the draft's shape is what goes live.
  page.on('dialog', (d) => void d.accept())
  await page.click(byTestId('journey-publish'))
  await page.locator(`${byTestId('journey-status')}[data-status="live"]`).waitFor()
  await step(page, 'wait_for_1').waitFor()
})
