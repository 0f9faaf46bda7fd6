// Browser tests of the loyalty program page (会员积分) against a running server with the demo
// store loaded (see lib.mjs). The store is shared with the other test files, which run at the
// same time: what the owner saves here is put back when the test ends, passed or failed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseUrl, byTestId, env, login, pagesPerTest, settle } from './lib.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()

const text = async (page, testid) => (await page.locator(byTestId(testid)).first().innerText()).trim()
const levelRow = (page, i) => page.locator(`${byTestId('loyalty-level-row')}[data-index="${i}"]`)
const levelNames = (page) => page.locator(byTestId('loyalty-level-name')).evaluateAll((xs) => xs.map((x) => x.value))

/** Opens 会员积分 from the sidebar and waits for the program. */
async function openLoyalty(page) {
  const nav = page.locator(byTestId('nav-loyalty'))
  assert.equal((await nav.innerText()).trim(), '会员积分')
  await nav.click()
  await page.waitForSelector(byTestId('loyalty-form'))
  await settle(page)
}

/** The program as the API answers it, with the page's session. */
async function program(page) {
  const r = await page.request.get(`${baseUrl()}/api/v1/loyalty/program`)
  assert.equal(r.status(), 200)
  return r.json()
}

/** Replaces the program through the API, as the console does (the session's CSRF token echoed). */
async function putProgram(page, body) {
  const me = await (await page.request.get(`${baseUrl()}/api/v1/auth/me`)).json()
  return page.request.put(`${baseUrl()}/api/v1/loyalty/program`, {
    data: body,
    headers: { 'X-CSRF-Token': me.csrf_token },
    failOnStatusCode: false,
  })
}

test('owner sees the default program, changes what points are worth and a discount, and they stay saved', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const before = await program(page)
  try {
    await changeAndSave(page, before)
  } finally {
    // Here rather than in t.after: after-hooks run in the order they were added, and freshPage's
    // closes the page's context first.
    const r = await putProgram(page, before)
    assert.equal(r.status(), 200, 'the program is put back')
  }
  assert.deepEqual(await program(page), before)
})

async function changeAndSave(page, before) {
  await openLoyalty(page)
  assert.deepEqual(await levelNames(page), ['L1', 'L2', 'L3', 'L4'])
  assert.match(await text(page, 'loyalty-value-rule'), /^50 积分 = ¥1，无门槛抵扣$/)
  assert.equal(await text(page, 'loyalty-earn-rule-spend'), '每消费 ¥1 得 1 积分，不足 ¥1 的部分不计')
  assert.equal(await text(page, 'loyalty-earn-rule-watch'), '单场观看满 30 分钟得 10 积分，每场一次')
  assert.equal(await text(page, 'loyalty-earn-rule-comment'), '每条评论 1 积分，每天最多 10 条')
  assert.ok(await page.locator(byTestId('loyalty-expiry-type-end_of_next_year')).isChecked(), 'points expire at the end of the next year')
  assert.equal(await page.locator(byTestId('loyalty-expiry-days')).count(), 0, 'no days input unless days are chosen')
  assert.match(await text(page, 'loyalty-downgrade-rule'), /保级期内等级不降；到期时成长值不足则降一级/)
  assert.equal(await levelRow(page, 1).locator(byTestId('loyalty-level-discount')).inputValue(), '95')
  assert.equal(await page.locator(byTestId('loyalty-reset')).isDisabled(), true, 'nothing to reset yet')

  // Days of expiry are asked for only when chosen.
  await page.check(byTestId('loyalty-expiry-type-days'))
  await page.locator(byTestId('loyalty-expiry-days')).waitFor()
  await page.check(byTestId('loyalty-expiry-type-end_of_next_year'))
  assert.equal(await page.locator(byTestId('loyalty-expiry-days')).count(), 0)

  await page.fill(byTestId('loyalty-points-per-yuan'), '100')
  assert.match(await text(page, 'loyalty-value-rule'), /^100 积分 = ¥1/)
  const l2 = levelRow(page, 1)
  await l2.locator(byTestId('loyalty-level-discount')).fill('92')
  assert.equal((await l2.locator(byTestId('loyalty-level-discount-text')).innerText()).trim(), '9.2 折')
  await page.locator(byTestId('loyalty-dirty')).waitFor()

  await page.click(byTestId('loyalty-save'))
  await page.locator(byTestId('loyalty-saved')).waitFor()
  assert.equal(await page.locator(byTestId('loyalty-field-error')).count(), 0)

  await page.reload()
  await page.waitForSelector(byTestId('loyalty-form'))
  assert.equal(await page.locator(byTestId('loyalty-points-per-yuan')).inputValue(), '100')
  assert.match(await text(page, 'loyalty-value-rule'), /^100 积分 = ¥1/)
  assert.equal(await levelRow(page, 1).locator(byTestId('loyalty-level-discount')).inputValue(), '92')
  assert.deepEqual(await levelNames(page), ['L1', 'L2', 'L3', 'L4'])
  const after = await program(page)
  assert.equal(after.points_per_yuan, 100)
  assert.equal(after.levels[1].benefits.discount_percent, 92)
  assert.deepEqual(after.earn, before.earn, 'what was not touched is as it was')
}

test('a level threshold below the one beneath it is refused at its input, and nothing is saved', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const before = await program(page)
  await openLoyalty(page)

  const l3 = levelRow(page, 2)
  const threshold = l3.locator(byTestId('loyalty-level-min-growth'))
  const l2Threshold = await levelRow(page, 1).locator(byTestId('loyalty-level-min-growth')).inputValue()
  const l3Threshold = await threshold.inputValue()
  await threshold.fill(String(Number(l2Threshold) - 100))
  await page.click(byTestId('loyalty-save'))

  // The server names levels[2].min_growth: its message is in L3's row, at the threshold.
  const error = l3.locator(byTestId('loyalty-field-error'))
  await error.waitFor()
  assert.equal(await error.getAttribute('data-field'), 'levels[2].min_growth')
  assert.equal((await error.innerText()).trim(), `须高于上一级（L2：${Number(l2Threshold).toLocaleString('zh-CN')}）`)
  assert.match(await threshold.getAttribute('class'), /\binvalid\b/)
  assert.equal(await page.locator(byTestId('loyalty-field-error')).count(), 1, 'one error, in one place')
  await page.locator(byTestId('loyalty-failed')).waitFor()
  assert.equal(await page.locator(byTestId('loyalty-saved')).count(), 0)
  assert.deepEqual(await program(page), before, 'nothing was saved')

  // Back to what is saved: the error goes with the change.
  await page.click(byTestId('loyalty-reset'))
  assert.equal(await threshold.inputValue(), l3Threshold)
  assert.equal(await page.locator(byTestId('loyalty-field-error')).count(), 0)
  await page.reload()
  await page.waitForSelector(byTestId('loyalty-form'))
  assert.equal(await levelRow(page, 2).locator(byTestId('loyalty-level-min-growth')).inputValue(), l3Threshold)
})

test('an analyst reads the program but has no Save button, and the server refuses a change', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openLoyalty(page)
  assert.deepEqual(await levelNames(page), ['L1', 'L2', 'L3', 'L4'])
  assert.match(await text(page, 'loyalty-value-rule'), /^50 积分 = ¥1/)
  await page.locator(byTestId('loyalty-read-only')).waitFor()
  assert.equal(await page.locator(byTestId('loyalty-save')).count(), 0, 'no Save button')
  assert.equal(await page.locator(byTestId('loyalty-reset')).count(), 0, 'no Reset button')
  assert.equal(await page.locator(byTestId('loyalty-level-add')).count(), 0, 'no Add level button')
  assert.equal(await page.locator(byTestId('loyalty-points-per-yuan')).isDisabled(), true, 'the inputs are read-only')

  const current = await program(page)
  const r = await putProgram(page, { ...current, points_per_yuan: 1 })
  assert.equal(r.status(), 403)
  assert.deepEqual(await program(page), current)
})

test('the figures show what the demo history issued and redeemed and members per level, agreeing with the API', { timeout: TIMEOUT }, async (t) => {
  const page = await freshPage(t)
  await login(page, env('REKINDLE_ANALYST_EMAIL'), env('REKINDLE_ANALYST_PASSWORD'))
  await openLoyalty(page)
  await page.waitForSelector(byTestId('loyalty-figures-members'))
  const r = await page.request.get(`${baseUrl()}/api/v1/loyalty/figures`)
  assert.equal(r.status(), 200)
  const f = await r.json()
  assert.ok(f.members > 0 && f.issued > 0, 'the demo history earned points')
  assert.equal(f.periods.length, 12)
  const shown = (s) => Number(s.replace(/[^\d]/g, ''))
  assert.equal(shown(await text(page, 'loyalty-figures-members')), f.members)
  assert.equal(shown(await text(page, 'loyalty-figures-issued')), f.issued)
  const now = f.periods.at(-1).levels
  assert.equal(now.reduce((a, b) => a + b, 0), f.members, 'everyone stands at some level now')
  assert.match(await text(page, 'loyalty-levels-now'), new RegExp(`L1 · ${now[0].toLocaleString('zh-CN')}`))
  assert.equal(await page.locator(`${byTestId('loyalty-chart-points')} canvas`).count(), 1)
  assert.equal(await page.locator(`${byTestId('loyalty-chart-levels')} canvas`).count(), 1)
})
