// Browser tests of journeys, message templates and coupons against a running server with the
// demo store loaded (see lib.mjs). The tests of this file run in order: the analyst reads the
// journey the owner published.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, env, login, openPerson, pagesPerTest, settle } from './lib.mjs'

const TIMEOUT = 120_000
const freshPage = pagesPerTest()

const text = async (locator) => (await locator.first().innerText()).trim()

/** A step card of the journey editor, by its step id. */
const step = (page, id) => page.locator(`${byTestId('flow-step')}[data-step-id="${id}"]`)

/** Opens the journeys list from the sidebar and waits for it. */
async function openJourneys(page) {
  await page.click(byTestId('nav-journeys'))
  await page.waitForSelector(byTestId('journeys'))
  await page.locator(byTestId('journey-template')).first().waitFor()
}

/** The id of the journey published by the first test, for the analyst's. */
let published = null

test('owner creates the repurchase reminder from its template, fixes a problem and publishes it', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  assert.equal(await text(page.locator(byTestId('nav-journeys'))), '旅程')
  await openJourneys(page)

  const template = page.locator(`${byTestId('journey-template')}[data-key="repurchase_reminder"]`)
  assert.equal(await text(template.locator(byTestId('journey-template-name'))), '复购提醒')
  await template.locator(byTestId('journey-template-use')).click()
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  const id = new URL(page.url()).pathname.split('/').pop()
  await page.waitForSelector(byTestId('journey-flow'))
  assert.match(await text(page.locator(byTestId('journey-title'))), /^复购提醒/)
  assert.equal(await page.locator(byTestId('journey-status')).getAttribute('data-status'), 'draft')
  assert.equal(await text(page.locator(byTestId('journey-status'))), '草稿')

  // The steps as a flow: the split (its first step) with two variants and a 10% holdout,
  // a three-day wait on variant A, the coupon both variants reach, then the WeCom message.
  const split = step(page, '分流')
  await split.waitFor()
  assert.equal(await split.getAttribute('data-type'), 'split')
  assert.equal(await split.getAttribute('data-index'), '0')
  await split.locator(byTestId('step-start')).waitFor()
  assert.equal(await split.locator(byTestId('step-variant')).count(), 2)
  assert.equal(await split.locator(byTestId('step-holdout')).inputValue(), '10')
  assert.equal(await page.locator(byTestId('flow-holdout')).getAttribute('data-percent'), '10')
  assert.equal(await step(page, '等3天').getAttribute('data-type'), 'wait')
  assert.equal(await step(page, '等3天').locator(byTestId('step-wait-amount')).inputValue(), '3')
  assert.equal(await step(page, '等3天').locator(byTestId('step-wait-unit')).inputValue(), 'days')
  assert.equal(await step(page, '发券').getAttribute('data-type'), 'coupon')
  assert.equal(await step(page, '发券').locator(byTestId('step-coupon')).inputValue(), '复购85折')
  const remind = step(page, '提醒')
  assert.equal(await remind.getAttribute('data-type'), 'send')
  assert.equal(await remind.locator(byTestId('step-template')).inputValue(), '复购提醒')
  // Lines between them: both variants, the holdout, the wait to the coupon, the coupon to the message.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="flow-edge"]').length >= 5)
  await page.locator(`${byTestId('flow-edge')}[data-from="分流"][data-to="发券"]`).waitFor({ state: 'attached' })
  await page.locator(`${byTestId('flow-edge')}[data-from="发券"][data-to="提醒"]`).waitFor({ state: 'attached' })
  await page.locator(`${byTestId('flow-edge')}[data-kind="holdout"]`).waitFor({ state: 'attached' })
  assert.equal(await page.locator(byTestId('journey-problems')).getAttribute('data-count'), '0')

  // A send step without its template: saved, the problem shows on that step and publishing waits.
  await remind.locator(byTestId('step-template')).selectOption('')
  assert.ok(await page.locator(byTestId('journey-publish')).isDisabled(), 'publish waits for the save')
  await page.click(byTestId('journey-save'))
  const problem = remind.locator(`${byTestId('step-problem')}[data-field="steps[3].template"]`)
  await problem.waitFor()
  assert.notEqual(await text(problem), '')
  await remind.locator(byTestId('step-problem-count')).waitFor()
  await page.locator(`${byTestId('journey-problem')}[data-field="steps[3].template"]`).waitFor()
  assert.notEqual(await page.locator(byTestId('journey-problems')).getAttribute('data-count'), '0')
  assert.ok(await page.locator(byTestId('journey-publish')).isDisabled(), 'publish is disabled while problems exist')

  // Fixed and saved: no problems, published as version 1, running.
  await remind.locator(byTestId('step-template')).selectOption('复购提醒')
  await page.click(byTestId('journey-save'))
  await page.locator(`${byTestId('journey-problems')}[data-count="0"]`).waitFor()
  assert.equal(await remind.locator(byTestId('step-problem')).count(), 0)
  const publish = page.locator(byTestId('journey-publish'))
  assert.ok(await publish.isEnabled(), 'publish is enabled once the draft has no problems')

  // The demo has no message provider: the editor says so, on the page and on the step, and
  // publishing asks first. Declined, nothing is published.
  assert.match(await text(page.locator(byTestId('journey-channels-unready'))), /企业微信尚未配置服务商/)
  assert.match(await text(remind.locator(byTestId('step-channel-unready'))), /企业微信尚未配置/)
  let asked = ''
  page.once('dialog', (d) => {
    asked = d.message()
    void d.dismiss()
  })
  await publish.click()
  await settle(page)
  assert.match(asked, /企业微信尚未配置服务商.*仍要发布吗/, `the warning: ${asked}`)
  assert.equal(await page.locator(byTestId('journey-status')).getAttribute('data-status'), 'draft', 'declined: not published')
  page.once('dialog', (d) => void d.accept())
  await publish.click()
  await page.locator(`${byTestId('journey-status')}[data-status="live"]`).waitFor()
  assert.equal(await text(page.locator(byTestId('journey-status'))), '运行中')
  assert.equal(await text(page.locator(byTestId('journey-version'))), 'v1')
  await page.locator(byTestId('journey-pause')).waitFor()

  await page.click(byTestId('journey-tab-versions'))
  await page.locator(`${byTestId('journey-version-row')}[data-version="1"]`).waitFor()

  await page.click(byTestId('journey-tab-readout'))
  await page.locator(byTestId('journey-readout')).waitFor()
  await page.locator(byTestId('readout-variants')).waitFor()
  // Link clicks: nothing sent yet, so no click-through to show.
  assert.match(await text(page.locator(byTestId('readout-clicks'))), /链接点击/)
  await settle(page)

  // The list shows it running, at v1.
  await openJourneys(page)
  const row = page.locator(`${byTestId('journey-row')}[data-journey-id="${id}"]`)
  await row.waitFor()
  assert.equal(await row.getAttribute('data-status'), 'live')
  assert.equal(await text(row.locator(byTestId('journey-status'))), '运行中')
  assert.equal(await text(row.locator(byTestId('journey-version'))), 'v1')
  published = id
})

test('owner adds a step to a new journey and the API names what is missing', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openJourneys(page)
  await page.click(byTestId('journey-new'))
  await page.waitForSelector(byTestId('journey-flow'))
  await page.fill(byTestId('journey-name-input'), `生日关怀 ${Date.now()}`)
  await page.selectOption(byTestId('trigger-type'), 'birthday')
  await page.click(byTestId('step-add-first'))
  await page.click(`${byTestId('step-type-option')}[data-type="coupon"]`)
  const coupon = page.locator(`${byTestId('flow-step')}[data-type="coupon"]`)
  await coupon.waitFor()
  assert.equal(await coupon.getAttribute('data-step-id'), 'coupon_1')
  // A message after it, inserted on its way on.
  await coupon.locator(byTestId('step-add')).click()
  await page.click(`${byTestId('step-type-option')}[data-type="send"]`)
  const send = page.locator(`${byTestId('flow-step')}[data-type="send"]`)
  await send.waitFor()
  assert.equal(await coupon.locator(byTestId('step-next')).inputValue(), 'send_1')

  await page.click(byTestId('journey-save'))
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  // Neither the coupon nor the template is chosen: each step shows what the API found.
  await step(page, 'coupon_1').locator(`${byTestId('step-problem')}[data-field="steps[0].coupon"]`).waitFor()
  await step(page, 'send_1').locator(`${byTestId('step-problem')}[data-field="steps[1].template"]`).waitFor()
  assert.ok(await page.locator(byTestId('journey-publish')).isDisabled())
})

test('owner awards points in a journey step; the amount is checked by the API and read back after a reload', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openJourneys(page)
  await page.click(byTestId('journey-new'))
  await page.waitForSelector(byTestId('journey-flow'))
  await page.fill(byTestId('journey-name-input'), `积分奖励 ${Date.now()}`)
  await page.click(byTestId('step-add-first'))
  const option = page.locator(`${byTestId('step-type-option')}[data-type="award_points"]`)
  assert.equal(await text(option), '赠送积分')
  await option.click()
  const award = step(page, 'award_points_1')
  await award.waitFor()
  assert.equal(await award.getAttribute('data-type'), 'award_points')
  assert.equal(await text(award.locator(byTestId('step-type-label'))), '赠送积分')
  assert.equal(await award.locator(byTestId('step-reason')).getAttribute('placeholder'), '旅程奖励')

  // No points: the API names the field and the card shows it there.
  await page.click(byTestId('journey-save'))
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  await award.locator(`${byTestId('step-problem')}[data-field="steps[0].points"]`).waitFor()

  await award.locator(byTestId('step-points')).fill('100')
  assert.equal(await text(award.locator(byTestId('step-summary'))), '赠送 100 积分 · 旅程奖励')
  await page.click(byTestId('journey-save'))
  await page.locator(`${byTestId('journey-problems')}[data-count="0"]`).waitFor()
  assert.equal(await page.locator(byTestId('journey-status')).getAttribute('data-status'), 'draft')

  // Read back as saved.
  await page.reload()
  await page.waitForSelector(byTestId('journey-flow'))
  await award.waitFor()
  assert.equal(await award.getAttribute('data-type'), 'award_points')
  assert.equal(await award.locator(byTestId('step-points')).inputValue(), '100')
  assert.equal(await award.locator(byTestId('step-reason')).inputValue(), '')
  assert.match(await text(award.locator(byTestId('step-summary'))), /赠送 100 积分/)
})

test('the shipped 共创群邀请 journey opens in the editor with its 赠送积分 step', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openJourneys(page)
  const template = page.locator(`${byTestId('journey-template')}[data-key="co_creation_invite"]`)
  assert.equal(await text(template.locator(byTestId('journey-template-name'))), '共创群邀请')
  await template.locator(byTestId('journey-template-use')).click()
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  await page.waitForSelector(byTestId('journey-flow'))
  assert.match(await text(page.locator(byTestId('journey-title'))), /^共创群邀请/)

  const award = step(page, '感谢积分')
  await award.waitFor()
  assert.equal(await award.getAttribute('data-type'), 'award_points')
  assert.equal(await award.getAttribute('data-index'), '0')
  assert.equal(await text(award.locator(byTestId('step-type-label'))), '赠送积分')
  assert.equal(await award.locator(byTestId('step-points')).inputValue(), '100')
  assert.equal(await award.locator(byTestId('step-reason')).inputValue(), '共创群邀请礼')
  assert.equal(await text(award.locator(byTestId('step-summary'))), '赠送 100 积分 · 共创群邀请礼')
  assert.equal(await award.locator(byTestId('step-next')).inputValue(), '邀请')
  await page.locator(`${byTestId('flow-edge')}[data-from="感谢积分"][data-to="邀请"]`).waitFor({ state: 'attached' })
  await settle(page)
  assert.equal(await page.locator(byTestId('journey-problems')).getAttribute('data-count'), '0')
})

test('owner sets a journey to start on a question left unanswered in the live room', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await openJourneys(page)
  await page.click(byTestId('journey-new'))
  await page.waitForSelector(byTestId('journey-flow'))
  await page.fill(byTestId('journey-name-input'), `提问补救 ${Date.now()}`)
  // The three room moments are offered, each told in Chinese.
  const offered = await page.locator(`${byTestId('trigger-type')} option`).allInnerTexts()
  for (const name of ['直播中早退', '看了没买', '提问未及时回复']) assert.ok(offered.includes(name), `${name} in ${offered}`)
  await page.selectOption(byTestId('trigger-type'), 'live_unanswered')
  assert.match(await text(page.locator(byTestId('trigger-catches'))), /提问超过设定秒数仍无人回复/)
  // Two seconds is too soon to call a question unanswered: the API says so at the field.
  await page.fill(byTestId('trigger-seconds'), '2')
  await page.click(byTestId('journey-save'))
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  await page.locator(`${byTestId('journey-field-problem')}[data-field="trigger.seconds"]`).waitFor()
  await page.fill(byTestId('trigger-seconds'), '45')
  await page.click(byTestId('journey-save'))
  await settle(page)
  assert.equal(await page.locator(`${byTestId('journey-field-problem')}[data-field="trigger.seconds"]`).count(), 0)
  // Read back as saved.
  await page.reload()
  await page.waitForSelector(byTestId('journey-flow'))
  assert.equal(await page.locator(byTestId('trigger-type')).inputValue(), 'live_unanswered')
  assert.equal(await page.locator(byTestId('trigger-seconds')).inputValue(), '45')
})

test('an analyst sees journeys read-only', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openJourneys(page)
  await settle(page)
  await page.locator(byTestId('journeys-read-only')).waitFor()
  assert.equal(await page.locator(byTestId('journey-new')).count(), 0, 'no New journey button')
  assert.equal(await page.locator(byTestId('journey-template-use')).count(), 0, 'no Create from template buttons')

  const row = published
    ? page.locator(`${byTestId('journey-row')}[data-journey-id="${published}"]`)
    : page.locator(byTestId('journey-row')).first()
  await row.click()
  await page.waitForSelector(byTestId('journey-flow'))
  await page.locator(byTestId('flow-step')).first().waitFor()
  await settle(page)
  await page.locator(byTestId('journey-read-only')).waitFor()
  for (const button of ['journey-save', 'journey-publish', 'journey-pause', 'journey-archive', 'step-delete', 'step-add']) {
    assert.equal(await page.locator(byTestId(button)).count(), 0, `no ${button}`)
  }
  assert.ok(await page.locator(byTestId('step-id-input')).first().isDisabled(), 'step fields are read-only')
  assert.ok(await page.locator(byTestId('trigger-type')).isDisabled(), 'the trigger is read-only')

  await page.click(byTestId('journey-tab-readout'))
  await page.locator(byTestId('journey-readout')).waitFor()

  await page.click(byTestId('nav-messages'))
  await page.waitForSelector(byTestId('messages'))
  await settle(page)
  assert.equal(await page.locator(byTestId('message-save')).count(), 0, 'no Save template button')
})

test('the messages page lists templates; a new one is checked by the API and previewed for a person', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  assert.equal(await text(page.locator(byTestId('nav-messages'))), '消息模板')
  await page.click(byTestId('nav-messages'))
  await page.waitForSelector(byTestId('messages'))
  await page.locator(`${byTestId('message-row')}[data-name="复购提醒"]`).waitFor()

  // A marketing SMS without the opt-out words: the API refuses it, naming the text.
  const name = `测试短信 ${Date.now()}`
  await page.click(byTestId('message-new'))
  await page.fill(byTestId('message-name-input'), name)
  await page.selectOption(byTestId('message-channel'), 'sms')
  await page.fill(byTestId('message-text'), '【回流】亲，新品到了')
  await page.fill(byTestId('message-provider-template'), 'SMS_123456')
  await page.locator(byTestId('message-opt-out-warning')).waitFor()
  await page.click(byTestId('message-save'))
  const error = page.locator(`${byTestId('message-field-error')}[data-field="text"]`)
  await error.waitFor()
  assert.match(await text(error), /拒收请回复R/)

  // With them, it saves and is listed; a preview for a real person renders it.
  await page.click(byTestId('message-opt-out-add'))
  assert.equal(await page.locator(byTestId('message-variable')).count(), 14, 'every variable is offered')
  // The member's level and the way to the next one are among them.
  assert.match(await text(page.locator(`${byTestId('message-variable')}[data-var="yuan_to_next"]`)), /再消费多少元可升级/)
  assert.match(await text(page.locator(`${byTestId('message-variable')}[data-var="level"]`)), /会员等级/)
  await page.click(byTestId('message-save'))
  await page.locator(byTestId('message-saved')).waitFor()
  await page.locator(`${byTestId('message-row')}[data-name="${name}"]`).waitFor()
  await page.fill(byTestId('message-preview-person'), env('REKINDLE_PHONE'))
  await page.click(byTestId('message-preview-run'))
  const preview = page.locator(byTestId('message-preview-text'))
  await preview.waitFor()
  assert.match(await text(preview), /新品到了/)
  assert.match(await text(preview), /拒收请回复R/)
  await page.locator(byTestId('message-preview-parts')).waitFor()
})

test('owner defines a coupon in yuan and a discount; the person page shows their messages card', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await page.click(byTestId('nav-coupons'))
  await page.waitForSelector(byTestId('coupons'))

  const amount = `满59减10 ${Date.now()}`
  await page.click(byTestId('coupon-new'))
  await page.fill(byTestId('coupon-name-input'), amount)
  await page.fill(byTestId('coupon-title-input'), '回归礼')
  await page.fill(byTestId('coupon-amount'), '10')
  await page.fill(byTestId('coupon-threshold'), '59')
  await page.click(byTestId('coupon-save'))
  const row = page.locator(`${byTestId('coupon-row')}[data-name="${amount}"]`)
  await row.waitFor()
  assert.match(await text(row.locator(byTestId('coupon-value'))), /减¥10\.00/)

  const discount = `八五折 ${Date.now()}`
  await page.click(byTestId('coupon-new'))
  await page.fill(byTestId('coupon-name-input'), discount)
  await page.fill(byTestId('coupon-title-input'), '复购券')
  await page.selectOption(byTestId('coupon-type'), 'discount')
  await page.fill(byTestId('coupon-percent'), '85')
  await page.click(byTestId('coupon-save'))
  const row2 = page.locator(`${byTestId('coupon-row')}[data-name="${discount}"]`)
  await row2.waitFor()
  assert.equal(await text(row2.locator(byTestId('coupon-value'))), '85折')

  // Out of range: the API names the field and the form shows it there.
  await page.fill(byTestId('coupon-percent'), '100')
  await page.click(byTestId('coupon-save'))
  await page.locator(`${byTestId('coupon-field-error')}[data-field="value.percent"]`).waitFor()

  await openPerson(page, env('REKINDLE_PHONE'))
  const reach = page.locator(byTestId('person-reach'))
  await reach.waitFor()
  await reach.locator(byTestId('person-opted-out')).waitFor()
})
