// Builds, in the journey editor, a journey with an action path (等待行为): after a click on this
// journey's message or an order, or a 48-hour timeout, each way going on to a step of its own;
// the click's way waits until 2 days after the delivery at 19:00, the order's until 10:00 on a
// Monday or Thursday. Shared by actionPaths.test.mjs and screenshots.mjs.
import { byTestId } from './lib.mjs'

/** A step card of the journey editor, by its step id. */
export const step = (page, id) => page.locator(`${byTestId('flow-step')}[data-step-id="${id}"]`)

/** A picture of the editor's flow (the page's own, so the sticky header stays at the top). */
export async function shootFlow(page, path) {
  await page.evaluate(() => window.scrollTo(0, 0))
  const box = await page.locator(byTestId('journey-flow')).boundingBox()
  const scroll = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY }))
  const clip = { x: box.x + scroll.x, y: box.y + scroll.y, width: box.width, height: box.height }
  await page.screenshot({ path, fullPage: true, clip })
}

/** Picks a step type from the menu a "+" just opened. */
async function pick(page, type) {
  await page.click(`${byTestId('step-type-option')}[data-type="${type}"]`)
}

/**
 * On the editor of a new journey (the journeys list's "new" already clicked), builds the steps:
 *
 *   wait_for_1 ─ 完成下单 → webhook_1 → wait_2 (10:00, Mon/Thu) → branch_1 (做过 …) → coupon_1 / exit_1
 *              ─ 点击消息 (this journey) → wait_1 (trigger.delivered_at + 2 days, 19:00)
 *              ─ 超时（48 小时）→ coupon_1
 */
export async function buildActionPath(page, name) {
  await page.waitForSelector(byTestId('journey-flow'))
  await page.fill(byTestId('journey-name-input'), name)
  // A trigger of its own, so that publishing it touches nothing the other tests do.
  await page.selectOption(byTestId('trigger-event'), '__other')
  await page.fill(byTestId('trigger-event-other'), 'E2E Action Path')

  await page.click(byTestId('step-add-first'))
  await pick(page, 'wait_for')
  const watch = step(page, 'wait_for_1')
  await watch.waitFor()

  // Two events: an order (the default), and a click on a message this journey sent.
  await watch.locator(byTestId('step-path-add')).click()
  const paths = watch.locator(byTestId('step-path'))
  await paths.nth(1).locator(byTestId('step-path-event')).selectOption('Message Clicked')
  await paths.nth(1).locator(byTestId('step-path-this-journey')).check()
  await watch.locator(byTestId('step-timeout-amount')).fill('48')
  await watch.locator(byTestId('step-timeout-unit')).selectOption('hours')

  // A step on each way: a webhook after the order, a date wait after the click, a coupon on timeout.
  await paths.nth(0).locator(byTestId('step-insert-path')).click()
  await pick(page, 'webhook')
  await step(page, 'webhook_1').locator(byTestId('step-topic')).fill('crm.ordered')
  await paths.nth(1).locator(byTestId('step-insert-path')).click()
  await pick(page, 'wait')
  await watch.locator(byTestId('step-insert-timeout')).click()
  await pick(page, 'coupon')
  await step(page, 'coupon_1').locator(byTestId('step-coupon')).selectOption('复购85折')

  const date = step(page, 'wait_1')
  await date.locator(byTestId('step-wait-mode')).selectOption('date')
  await date.locator(byTestId('step-wait-date-source')).selectOption('trigger')
  await date.locator(byTestId('step-wait-date-property')).fill('delivered_at')
  await date.locator(byTestId('step-wait-date-offset')).fill('2')
  await date.locator(byTestId('step-wait-date-at')).fill('19:00')

  // After the webhook: until 10:00 on a Monday or Thursday, then a branch on what they did since.
  await step(page, 'webhook_1').locator(byTestId('step-add')).click()
  await pick(page, 'wait')
  const weekly = step(page, 'wait_2')
  await weekly.locator(byTestId('step-wait-mode')).selectOption('until')
  await weekly.locator(byTestId('step-wait-until')).fill('10:00')
  await weekly.locator(`${byTestId('step-wait-weekday')}[data-day="1"]`).click()
  await weekly.locator(`${byTestId('step-wait-weekday')}[data-day="4"]`).click()
  await weekly.locator(byTestId('step-add')).click()
  await pick(page, 'branch')
  const branch = step(page, 'branch_1')
  await branch.locator(byTestId('step-rule')).fill('做过 "Message Clicked" 近 48小时')
  await branch.locator(byTestId('step-then')).selectOption('coupon_1')
  await branch.locator(byTestId('step-insert-else')).click()
  await pick(page, 'exit')
  await step(page, 'exit_1').waitFor()
}
