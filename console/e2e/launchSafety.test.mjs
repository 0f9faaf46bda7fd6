// Browser test of launch safety (docs/journeys.md): the owner keeps a seed list (测试名单) and turns
// on 发布需店主审批 in Settings; an operator, invited for the test, sees them read-only and their
// publish becomes a request (待审批); the owner approves it and the journey goes live, or finds the
// draft edited since the request (409) and rejects it with a reason the operator then reads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'
import { csrfHeaders } from './liveEvents.mjs'

const TIMEOUT = 180_000
const freshPage = pagesPerTest()
const SCREENSHOT_DIR = process.env.LAUNCH_SCREENSHOTS

const text = async (locator) => (await locator.first().innerText()).trim()

async function apiGet(page, path) {
  const r = await page.request.get(`${baseUrl()}/api/v1${path}`)
  assert.equal(r.status(), 200, `GET ${path}`)
  return r.json()
}

async function apiSend(page, method, path, data) {
  const r = await page.request.fetch(`${baseUrl()}/api/v1${path}`, { method, data, headers: await csrfHeaders(page) })
  assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`)
  return r.json()
}

/** An operator invited by the owner's page, signed in on a page of their own. */
async function operatorPage(t, owner) {
  const email = `operator-${Date.now()}@e2e.test`
  const { token } = await apiSend(owner, 'POST', '/users', { email, role: 'operator' })
  const page = await freshPage(t)
  await page.goto(`${baseUrl()}/login?invitation=${encodeURIComponent(token)}`)
  await page.fill(byTestId('redeem-name'), 'E2E 运营')
  await page.fill(byTestId('redeem-password'), 'a long enough password')
  await page.click(byTestId('redeem-submit'))
  await page.waitForSelector(byTestId('redeemed'))
  await login(page, email, 'a long enough password')
  return page
}

/** A journey of the operator's from the shipped repurchase reminder, opened in the editor. */
async function operatorJourney(page, name) {
  const j = await apiSend(page, 'POST', '/journeys', { shipped: 'repurchase_reminder', name })
  await page.goto(`${baseUrl()}/journeys/${j.id}`)
  await page.waitForSelector(byTestId('journey-flow'))
  await page.locator(`${byTestId('journey-problems')}[data-count="0"]`).waitFor()
  return j.id
}

/** Publishes from the editor; the demo has no message provider, so the warning is accepted. */
async function publish(page) {
  page.once('dialog', (d) => void d.accept())
  await page.click(byTestId('journey-publish'))
}

/** The launch settings before the tests, put back after them. */
let original = null

test('owner adds a seed and turns approval on; an operator’s publish waits; the owner approves it and it goes live', { timeout: TIMEOUT }, async (t) => {
  const owner = await freshPage(t)
  await login(owner, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  original = await apiGet(owner, '/launch-settings')
  await owner.click(byTestId('nav-settings'))
  const section = owner.locator(byTestId('settings-launch'))
  await section.waitFor()
  assert.equal(await text(section.locator('h2')), '上线安全')
  await section.locator(byTestId('launch-approval')).waitFor()

  // A seed with a WeCom contact but no staff member: refused, and said at that field.
  await section.locator(byTestId('launch-seed-add')).click()
  const seed = section.locator(byTestId('launch-seed')).last()
  const index = await seed.getAttribute('data-index')
  await seed.locator(byTestId('launch-seed-name')).fill('值班店员')
  await seed.locator(byTestId('launch-seed-wecom_external_userid')).fill('wmE2Eseed')
  await section.locator(byTestId('launch-save')).click()
  const error = seed.locator(`${byTestId('launch-field-error')}[data-field="seeds[${index}].wecom_staff_userid"]`)
  await error.waitFor()
  assert.equal(await text(error), '企业微信需同时填写客户 ID 和员工账号')
  await section.locator(byTestId('launch-failed')).waitFor()

  // Fixed, with a phone too, and approval on: saved, the phone kept in E.164.
  await seed.locator(byTestId('launch-seed-wecom_staff_userid')).fill('zhangsan')
  await seed.locator(byTestId('launch-seed-phone')).fill('13800138000')
  await section.locator(byTestId('launch-approval')).check()
  await section.locator(byTestId('launch-save')).click()
  await section.locator(byTestId('launch-saved')).waitFor()
  assert.equal(await seed.locator(byTestId('launch-seed-phone')).inputValue(), '+8613800138000')
  const saved = await apiGet(owner, '/launch-settings')
  assert.equal(saved.approval_required, true)
  assert.deepEqual(saved.seeds.at(-1), {
    name: '值班店员',
    phone: '+8613800138000',
    wecom_external_userid: 'wmE2Eseed',
    wecom_staff_userid: 'zhangsan',
  })
  if (SCREENSHOT_DIR) await section.screenshot({ path: `${SCREENSHOT_DIR}/launch-settings.png` })

  // The operator reads the settings and cannot change them.
  const operator = await operatorPage(t, owner)
  await operator.click(byTestId('nav-settings'))
  const theirs = operator.locator(byTestId('settings-launch'))
  await theirs.locator(byTestId('launch-read-only')).waitFor()
  assert.equal(await text(theirs.locator(byTestId('launch-read-only'))), '只有店主可以修改')
  assert.ok(await theirs.locator(byTestId('launch-approval')).isChecked())
  assert.ok(await theirs.locator(byTestId('launch-approval')).isDisabled())
  assert.equal(await theirs.locator(byTestId('launch-save')).count(), 0)
  assert.equal(await theirs.locator(byTestId('launch-seed-add')).count(), 0)

  // Their publish is a request: 待审批, still a draft, nothing for them to approve.
  const id = await operatorJourney(operator, `审批上线 ${Date.now()}`)
  await publish(operator)
  await operator.locator(byTestId('journey-notice')).waitFor()
  assert.match(await text(operator.locator(byTestId('journey-notice'))), /待审批/)
  await operator.locator(`${byTestId('journey-approval')}[data-state="pending"]`).waitFor()
  assert.equal(await text(operator.locator(byTestId('journey-approval-badge'))), '待审批')
  assert.equal(await operator.locator(byTestId('journey-status')).getAttribute('data-status'), 'draft')
  assert.equal(await operator.locator(byTestId('journey-approve')).count(), 0)
  assert.equal(await operator.locator(byTestId('journey-reject')).count(), 0)

  // The owner sees the request; a rejection needs a reason; approving publishes it.
  await owner.goto(`${baseUrl()}/journeys/${id}`)
  const bar = owner.locator(`${byTestId('journey-approval')}[data-state="pending"]`)
  await bar.waitFor()
  assert.equal(await text(owner.locator(byTestId('journey-approval-badge'))), '待审批')
  assert.match(await text(bar), /E2E 运营|operator-/)
  await bar.locator(byTestId('journey-reject')).click()
  await bar.locator(byTestId('journey-reject-confirm')).click()
  assert.equal(await text(bar.locator(byTestId('journey-reject-reason-error'))), '请填写驳回原因')
  await bar.getByRole('button', { name: '取消' }).click()
  if (SCREENSHOT_DIR) await owner.screenshot({ path: `${SCREENSHOT_DIR}/launch-pending.png` })
  await bar.locator(byTestId('journey-approve')).click()
  await owner.locator(`${byTestId('journey-status')}[data-status="live"]`).waitFor()
  assert.equal(await text(owner.locator(byTestId('journey-notice'))), '已批准，发布为 v1')
  assert.equal(await owner.locator(byTestId('journey-approval')).count(), 0)
  assert.equal(await owner.locator(byTestId('journey-approval-badge')).count(), 0)
  assert.equal(await text(owner.locator(byTestId('journey-version'))), 'v1')

  // The operator finds it running.
  await operator.reload()
  await operator.locator(`${byTestId('journey-status')}[data-status="live"]`).waitFor()
  assert.equal(await operator.locator(byTestId('journey-approval')).count(), 0)
})

test('a draft edited after the request cannot be approved; the owner rejects it with a reason the operator reads', { timeout: TIMEOUT }, async (t) => {
  const owner = await freshPage(t)
  await login(owner, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  original ??= await apiGet(owner, '/launch-settings')
  await apiSend(owner, 'PUT', '/launch-settings', { ...original, approval_required: true })
  try {
    const operator = await operatorPage(t, owner)
    const id = await operatorJourney(operator, `审批驳回 ${Date.now()}`)
    await publish(operator)
    await operator.locator(`${byTestId('journey-approval')}[data-state="pending"]`).waitFor()

    // Edited after the request (three days' wait becomes four).
    const j = await apiGet(operator, `/journeys/${id}`)
    const definition = structuredClone(j.draft)
    const wait = definition.steps.find((s) => s.type === 'wait' && s.minutes)
    assert.ok(wait, 'the reminder has a wait')
    wait.minutes += 1440
    await apiSend(operator, 'PUT', `/journeys/${id}`, { definition })

    await owner.goto(`${baseUrl()}/journeys/${id}`)
    const bar = owner.locator(`${byTestId('journey-approval')}[data-state="pending"]`)
    await bar.waitFor()
    assert.equal(await bar.getAttribute('data-draft-changed'), 'true')
    assert.match(await text(bar.locator(byTestId('journey-approval-changed'))), /草稿又被修改/)
    await bar.locator(byTestId('journey-approve')).click()
    assert.equal(await text(bar.locator(byTestId('journey-approval-error'))), '草稿在申请后被修改，请重新提交')
    assert.equal(await owner.locator(byTestId('journey-status')).getAttribute('data-status'), 'draft')

    await bar.locator(byTestId('journey-reject')).click()
    await bar.locator(byTestId('journey-reject-reason')).fill('等待时间请改回 3 天')
    await bar.locator(byTestId('journey-reject-confirm')).click()
    const rejected = owner.locator(`${byTestId('journey-approval')}[data-state="rejected"]`)
    await rejected.waitFor()
    assert.equal(await text(owner.locator(byTestId('journey-notice'))), '已驳回申请')
    assert.equal(await text(owner.locator(byTestId('journey-approval-badge'))), '已驳回')

    await operator.reload()
    await settle(operator)
    const theirs = operator.locator(`${byTestId('journey-approval')}[data-state="rejected"]`)
    await theirs.waitFor()
    assert.match(await text(theirs.locator(byTestId('journey-approval-reason'))), /驳回：等待时间请改回 3 天/)
    assert.equal(await text(operator.locator(byTestId('journey-approval-badge'))), '已驳回')
    assert.equal(await operator.locator(byTestId('journey-status')).getAttribute('data-status'), 'draft')
    if (SCREENSHOT_DIR) await operator.screenshot({ path: `${SCREENSHOT_DIR}/launch-rejected.png` })
  } finally {
    // The other browser tests' operators publish without waiting.
    if (original) await apiSend(owner, 'PUT', '/launch-settings', original)
  }
})
