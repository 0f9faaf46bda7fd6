// Full-page screenshots of the dashboard and of a person, for docs and reviews.
// Env: the REKINDLE_* variables of the tests, SCREENSHOT_DASHBOARD, SCREENSHOT_PERSON,
// SCREENSHOT_SEGMENT and SCREENSHOT_MODELS (PNG paths); SCREENSHOT_JOURNEYS, when unset,
// is journeys.png beside the dashboard's, and people.png, channels.png, reports.png, loyalty.png,
// referrals.png, person-referral.png, groups.png, group-detail.png, group-composer.png, contacts.png, channel-codes.png,
// sidebar.png, ugc.png, subscriptions.png,
// subscription-detail.png, service-tickets.png, service-conversations.png, service-faq.png, live-monitor.png,
// live-review.png and journey-action-path.png go there too.
import { dirname, join } from 'node:path'
import { byTestId, env, launch, login, openPerson, settle, waitForCharts } from './lib.mjs'
import { csrfHeaders, send, track } from './liveEvents.mjs'
import { replayLive } from './liveReplay.mjs'
import { buildActionPath, shootFlow } from './actionPath.mjs'

const dashboardPath = env('SCREENSHOT_DASHBOARD')
const personPath = env('SCREENSHOT_PERSON')
const segmentPath = env('SCREENSHOT_SEGMENT')
const modelsPath = env('SCREENSHOT_MODELS')
const journeysPath = process.env.SCREENSHOT_JOURNEYS || join(dirname(dashboardPath), 'journeys.png')
const peoplePath = join(dirname(dashboardPath), 'people.png')
const channelsPath = join(dirname(dashboardPath), 'channels.png')
const reportsPath = join(dirname(dashboardPath), 'reports.png')
const loyaltyPath = join(dirname(dashboardPath), 'loyalty.png')
const referralsPath = join(dirname(dashboardPath), 'referrals.png')
const personReferralPath = join(dirname(dashboardPath), 'person-referral.png')
const groupsPath = join(dirname(dashboardPath), 'groups.png')
const groupDetailPath = join(dirname(dashboardPath), 'group-detail.png')
const groupComposerPath = join(dirname(dashboardPath), 'group-composer.png')
const contactsPath = join(dirname(dashboardPath), 'contacts.png')
const channelCodesPath = join(dirname(dashboardPath), 'channel-codes.png')
const sidebarPath = join(dirname(dashboardPath), 'sidebar.png')
const ugcPath = join(dirname(dashboardPath), 'ugc.png')
const subscriptionsPath = join(dirname(dashboardPath), 'subscriptions.png')
const subscriptionDetailPath = join(dirname(dashboardPath), 'subscription-detail.png')
const serviceTicketsPath = join(dirname(dashboardPath), 'service-tickets.png')
const serviceConversationsPath = join(dirname(dashboardPath), 'service-conversations.png')
const serviceFaqPath = join(dirname(dashboardPath), 'service-faq.png')
const liveMonitorPath = join(dirname(dashboardPath), 'live-monitor.png')
const liveReviewPath = join(dirname(dashboardPath), 'live-review.png')
const actionPathPath = join(dirname(dashboardPath), 'journey-action-path.png')

const browser = await launch()
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  context.setDefaultTimeout(30_000)
  const page = await context.newPage()

  await login(page, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await waitForCharts(page) // all four dashboard charts
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: dashboardPath, fullPage: true })
  console.log(`dashboard: ${dashboardPath}`)

  // The people list before any search: a page of everyone, sorted by spend.
  await page.click(byTestId('nav-people'))
  await page.locator(byTestId('people-list-row')).first().waitFor()
  await page.selectOption(byTestId('people-sort'), 'spend')
  await settle(page)
  await page.screenshot({ path: peoplePath, fullPage: false })
  console.log(`people: ${peoplePath}`)

  // The channel settings, with the WeCom form open (the demo has no provider).
  await page.goto(new URL('/settings', page.url()).toString())
  await page.locator(byTestId('settings-channels')).waitFor()
  await page.click(byTestId('provider-edit-wecom'))
  await page.locator(byTestId('settings-channels')).scrollIntoViewIfNeeded()
  await page.locator(byTestId('settings-channels')).screenshot({ path: channelsPath })
  console.log(`channels: ${channelsPath}`)

  await openPerson(page, env('REKINDLE_PHONE'))
  await page.locator(byTestId('person-timeline')).waitFor()
  await page.locator(byTestId('person-stage')).waitFor()
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: personPath, fullPage: true })
  console.log(`person: ${personPath}`)

  // The segment editor on a rule with a mistake in it, then corrected: the live count.
  await page.goto(new URL('/segments/new', page.url()).toString())
  const rule = page.locator(byTestId('segment-rule-input'))
  await rule.fill('bought "草莓" and not bought "草莓" within 30d and orders >= 2')
  await page.locator(byTestId('preview-count')).waitFor()
  await page.locator(byTestId('segment-name-input')).fill('草莓老客未复购')
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: segmentPath, fullPage: true })
  console.log(`segment: ${segmentPath}`)

  await page.goto(new URL('/models', page.url()).toString())
  await page.locator(byTestId('models-group')).first().waitFor()
  await page.locator(`${byTestId('models-calibration')} canvas`).first().waitFor()
  await settle(page)
  await page.screenshot({ path: modelsPath, fullPage: true })
  console.log(`models: ${modelsPath}`)

  // The reports: weekly cohorts by first order, the repurchase heatmap with its curves and table.
  await page.goto(new URL('/reports', page.url()).toString())
  await page.locator(`${byTestId('report-chart-heatmap')} canvas`).first().waitFor()
  await page.locator(`${byTestId('report-chart-curves')} canvas`).first().waitFor()
  await page.locator(byTestId('report-row')).first().waitFor()
  await settle(page)
  await page.waitForTimeout(500) // the charts' animation
  await page.screenshot({ path: reportsPath, fullPage: true })
  console.log(`reports: ${reportsPath}`)

  // The loyalty program (会员积分): earning, what points are worth, expiry, the levels.
  await page.click(byTestId('nav-loyalty'))
  await page.locator(byTestId('loyalty-level-row')).first().waitFor()
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: loyaltyPath, fullPage: true })
  console.log(`loyalty: ${loyaltyPath}`)

  // The referral programme (老带新): its figures and the leaderboard of inviters; then the top
  // inviter's 推荐 card (code, share link, friends) on their page.
  await page.click(byTestId('nav-referrals'))
  await page.locator(byTestId('referral-row')).first().waitFor()
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: referralsPath, fullPage: true })
  console.log(`referrals: ${referralsPath}`)
  await page.locator(`${byTestId('referral-row')} a`).first().click()
  await page.locator(byTestId('person-referral-code')).waitFor()
  await settle(page)
  await page.locator(byTestId('person-referral')).scrollIntoViewIfNeeded()
  await page.locator(byTestId('person-referral')).screenshot({ path: personReferralPath })
  console.log(`person referral: ${personReferralPath}`)

  // Customer groups (社群): the figures and the table of groups; the largest group in its side
  // panel (posts and members); the composer with a promotional post, its ceiling explained and a
  // link card. Nothing is posted.
  await page.click(byTestId('nav-groups'))
  await page.locator(byTestId('group-row')).first().waitFor()
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: groupsPath, fullPage: true })
  console.log(`groups: ${groupsPath}`)
  await page.locator(byTestId('group-row')).first().click()
  await page.locator(byTestId('group-detail-id')).waitFor()
  await settle(page)
  await page.screenshot({ path: groupDetailPath })
  console.log(`group detail: ${groupDetailPath}`)
  await page.click(byTestId('group-detail-compose'))
  await page.fill(byTestId('group-compose-sender'), 'zhangsan')
  await page.fill(byTestId('group-compose-text'), '今晚 8 点直播：草莓专场，进直播间领 5 元券 🍓')
  await page.click(byTestId('group-compose-add-link'))
  await page.fill(byTestId('group-attachment-title'), '今晚直播间')
  await page.fill(byTestId('group-attachment-url'), 'https://shop.example.com/live/tonight')
  await page.screenshot({ path: groupComposerPath })
  console.log(`group composer: ${groupComposerPath}`)
  await page.keyboard.press('Escape')
  await page.click(byTestId('group-detail-close'))

  // WeCom relationships (企微关系): the figures, reach per staff member, value per source and
  // the transfers; then three channel codes made through the API (the demo has no WeCom, so
  // the page says QR codes come once it is configured); then the chat sidebar, narrow, for the
  // best spender with WeCom friends.
  {
    const get = async (path) => (await page.request.get(new URL(path, page.url()).toString())).json()
    await page.click(byTestId('nav-contacts'))
    await page.locator(byTestId('staff-row')).first().waitFor()
    await page.locator(byTestId('transfer-counts')).waitFor()
    await settle(page)
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: contactsPath, fullPage: true })
    console.log(`contacts: ${contactsPath}`)

    const staff = (await get('/api/v1/contacts')).staff.map((x) => x.staff_id)
    const pickStaff = (from, n) => [...staff.slice(from), ...staff].slice(0, n)
    const codes = [
      { name: '12 月草莓专场直播间', source: 'live', staff: pickStaff(0, 2), pick: 'turn', tags: ['直播间', '草莓'] },
      { name: '包裹卡 · 鲜奶', source: 'parcel', staff: pickStaff(2, 3), pick: 'random', tags: ['包裹卡'] },
      { name: '门店海报进群', source: 'store', kind: 'group', groups: ['wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAA', 'wrOgQhDgAAcwMTB7YmDkbeBsgT_BBBB'], tags: ['门店'] },
    ]
    const headers = await csrfHeaders(page)
    for (const code of codes) {
      await page.request.post(new URL('/api/v1/contacts/codes', page.url()).toString(), { data: code, headers })
    }
    await page.click(byTestId('nav-channel-codes'))
    await page.locator(byTestId('code-card')).first().waitFor()
    await settle(page)
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: channelCodesPath, fullPage: true })
    console.log(`channel codes: ${channelCodesPath}`)

    const list = await get('/api/v1/people/list?sort=spend&per_page=50')
    let customer = list.people[0].id
    for (const p of list.people) {
      const s = await get(`/api/v1/sidebar?customer=${encodeURIComponent(p.id)}`)
      if (s.friendships?.length && s.run_outs?.length && s.scripts?.length) {
        customer = p.id
        break
      }
    }
    await page.setViewportSize({ width: 360, height: 800 })
    await page.goto(new URL(`/sidebar?customer=${encodeURIComponent(customer)}`, page.url()).toString())
    await page.locator(byTestId('sidebar-profile')).waitFor()
    await settle(page)
    await page.screenshot({ path: sidebarPath, fullPage: true })
    console.log(`sidebar: ${sidebarPath}`)
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.goto(new URL('/', page.url()).toString())
    await page.locator(byTestId('dashboard')).waitFor()
  }

  // 晒单: three customers' content sent as `UGC Submitted` (pictures inline, so the page shows
  // them without the network), the queue with its cards; one approved in the page.
  {
    const stamp = Date.now()
    const picture = (a, b) =>
      `data:image/svg+xml;utf8,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs><rect width="160" height="160" fill="url(#g)"/></svg>`)}`
    const people = [
      ['小林', 'recipe', '草莓酸奶杯：草莓切丁铺在酸奶上，撒一把燕麦，冷藏十分钟，孩子抢着吃。', [picture('#ff8787', '#e03131'), picture('#ffe066', '#fab005')], [{ sku: 'berry-500g' }]],
      ['阿梅', 'photo', '今天到货，颗颗饱满，包装也很用心 👍', [picture('#69db7c', '#2b8a3e'), picture('#ffa8a8', '#c92a2a'), picture('#ffd8a8', '#e8590c')], [{ sku: 'berry-500g' }, { sku: 'mango-1kg' }]],
      ['周周妈', 'video', '开箱视频，冷链到家还是冰的', ['https://video.example.com/ugc/unbox.mp4'], [{ sku: 'mango-1kg' }]],
    ]
    await send(
      page,
      people.flatMap(([name, kind, words, media, products], i) => {
        const who = { userId: `shot-ugc-${stamp}-${i}` }
        return [
          { type: 'identify', messageId: `shot-ugc-id-${stamp}-${i}`, ...who, traits: { nickname: name }, timestamp: new Date().toISOString() },
          track(who, 'UGC Submitted', { ugc_id: `shot-${stamp}-${i}`, kind, text: words, media, order_id: `SO${stamp % 1e6}${i}`, products }, new Date(Date.now() - (3 - i) * 3_600_000)),
        ]
      }),
    )
    await page.click(byTestId('nav-ugc'))
    await page.locator(`${byTestId('ugc-item')}[data-id="shot-${stamp}-2"]`).waitFor()
    const first = page.locator(`${byTestId('ugc-item')}[data-id="shot-${stamp}-0"]`)
    await first.locator(byTestId('ugc-approve')).click()
    await first.locator(byTestId('ugc-approved-note')).waitFor()
    await page.locator(`${byTestId('ugc-item')}[data-id="shot-${stamp}-1"] ${byTestId('ugc-reason')}`).fill('图片清晰，可用于商品页')
    await settle(page)
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: ugcPath, fullPage: true })
    console.log(`ugc: ${ugcPath}`)
  }

  // 定期购: three subscriptions started as `Subscription Started`, one shipment confirmed through
  // the API; the page (figures, schedule, list, offers, settings), then one in its side panel.
  {
    const stamp = Date.now()
    const today = (await (await page.request.get(new URL('/api/v1/subscriptions/schedule', page.url()).toString())).json()).from
    const day = (n) => {
      const d = new Date(`${today}T00:00:00Z`)
      d.setUTCDate(d.getUTCDate() + n)
      return d.toISOString().slice(0, 10)
    }
    const subs = [
      ['王姐', 'berry-500g', 7, 2, 39.9, 2],
      ['李先生', 'milk-1l', 3, 1, 12.5, 1],
      ['陈阿姨', 'rice-5kg', 14, 1, 69, 5],
    ]
    await send(
      page,
      subs.flatMap(([name, sku, every, quantity, price, first], i) => {
        const who = { userId: `shot-sub-${stamp}-${i}` }
        return [
          { type: 'identify', messageId: `shot-sub-id-${stamp}-${i}`, ...who, traits: { nickname: name }, timestamp: new Date().toISOString() },
          track(who, 'Subscription Started', { subscription_id: `SUB-${stamp % 1e6}-${i}`, sku, every_days: every, quantity, price, first_ship_on: day(first) }),
        ]
      }),
    )
    const id = `SUB-${stamp % 1e6}-0`
    for (let i = 0; i < 100; i++) {
      const r = await page.request.get(new URL(`/api/v1/subscriptions/${id}`, page.url()).toString())
      if (r.status() === 200) break
      await page.waitForTimeout(100)
    }
    await page.request.post(new URL(`/api/v1/subscriptions/SUB-${stamp % 1e6}-1/actions`, page.url()).toString(), {
      data: { action: 'confirm', ship_on: day(1) },
      headers: await csrfHeaders(page),
    })
    await page.click(byTestId('nav-subscriptions'))
    await page.locator(`${byTestId('subscription-row')}[data-id="${id}"]`).waitFor()
    await page.locator(byTestId('schedule-row')).first().waitFor()
    await settle(page)
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: subscriptionsPath, fullPage: true })
    console.log(`subscriptions: ${subscriptionsPath}`)
    await page.locator(`${byTestId('subscription-row')}[data-id="${id}"]`).click()
    await page.locator(byTestId('subscription-shipment')).first().waitFor()
    await settle(page)
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: subscriptionDetailPath })
    console.log(`subscription detail: ${subscriptionDetailPath}`)
    await page.click(byTestId('subscription-detail-close'))
  }

  // Customer service: the after-sales queue under its figures; the customers waiting for a reply,
  // the longest waiting first, with one open and the knowledge base's answer in the reply box;
  // the knowledge base with a question tried.
  await page.click(byTestId('nav-service-tickets'))
  await page.locator(byTestId('ticket-row')).first().waitFor()
  await page.locator(`${byTestId('churn-chart')} canvas`).first().waitFor()
  await settle(page)
  await page.waitForTimeout(500) // the chart's animation
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: serviceTicketsPath, fullPage: true })
  console.log(`service tickets: ${serviceTicketsPath}`)

  await page.click(byTestId('nav-service-conversations'))
  await page.locator(byTestId('waiting-row')).first().waitFor()
  await settle(page)
  const suggested = page.locator(byTestId('waiting-use-suggestion')).first()
  if (await suggested.count()) await suggested.click()
  else await page.locator(byTestId('waiting-row')).first().click()
  await page.locator(byTestId('thread-line')).first().waitFor()
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: serviceConversationsPath, fullPage: true })
  console.log(`service conversations: ${serviceConversationsPath}`)

  await page.click(byTestId('nav-service-faq'))
  await page.locator(byTestId('faq-entry')).first().waitFor()
  await page.fill(byTestId('faq-try-input'), '牛奶开了能放几天')
  await page.click(byTestId('faq-try-submit'))
  await page.locator(byTestId('faq-try-result')).waitFor()
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: serviceFaqPath, fullPage: true })
  console.log(`service faq: ${serviceFaqPath}`)

  // The live monitor of a session replayed into the store, as the moment's events arrive over
  // the stream; then the same session ended, in its review (复盘).
  const live = await replayLive(page)
  await page.goto(new URL(`/live/${live.id}`, page.url()).toString())
  await page.locator(`${byTestId('live-connection')}[data-state="live"]`).waitFor()
  await page.locator(`${byTestId('live-recent-chart')} canvas`).first().waitFor()
  await live.later()
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="live-question"]').length >= 3)
  await page.waitForTimeout(2500) // the questions' ages tick on
  await page.screenshot({ path: liveMonitorPath, fullPage: true })
  console.log(`live monitor: ${liveMonitorPath}`)
  await live.end()
  await page.goto(new URL(`/live/${live.id}/review`, page.url()).toString())
  await page.locator(`${byTestId('review-curve-chart')} canvas`).first().waitFor()
  await page.locator(`${byTestId('review-watch-chart')} canvas`).first().waitFor()
  await settle(page)
  await page.waitForTimeout(800) // the charts' animation
  await page.screenshot({ path: liveReviewPath, fullPage: true })
  console.log(`live review: ${liveReviewPath}`)

  // The editor of the repurchase reminder, created from its template and published.
  await page.goto(new URL('/journeys', page.url()).toString())
  const template = page.locator(`${byTestId('journey-template')}[data-key="repurchase_reminder"]`)
  await template.locator(byTestId('journey-template-use')).click()
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  await page.locator(`${byTestId('journey-problems')}[data-count="0"]`).waitFor()
  page.once('dialog', (d) => void d.accept()) // the demo has no message provider
  await page.click(byTestId('journey-publish'))
  await page.locator(`${byTestId('journey-status')}[data-status="live"]`).waitFor()
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="flow-edge"]').length >= 5)
  await settle(page)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: journeysPath, fullPage: true })
  console.log(`journeys: ${journeysPath}`)

  // An action path (等待行为) built in the editor: two events and a timeout, a date wait.
  await page.goto(new URL('/journeys/new', page.url()).toString())
  await buildActionPath(page, '行为路径示例')
  await page.click(byTestId('journey-save'))
  await page.waitForURL((url) => /^\/journeys\/\d+$/.test(url.pathname))
  await page.locator(`${byTestId('journey-problems')}[data-count="0"]`).waitFor()
  await settle(page)
  await shootFlow(page, actionPathPath)
  console.log(`action path: ${actionPathPath}`)
  await context.close()
} catch (e) {
  console.error(e)
  process.exitCode = 1
} finally {
  await browser.close()
}
