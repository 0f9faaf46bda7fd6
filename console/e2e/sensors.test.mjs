// Browser tests of the Sensors Data (神策) ingestion with the real web SDK (sa-sdk-javascript,
// pinned in devDependencies) against a running server with the demo store loaded (see lib.mjs).
// A shop's page on another site (`localhost` when Rekindle is `127.0.0.1`, served by a small
// server of the test on a random port) loads the SDK with `server_url` <Rekindle>/sa?token=<write
// key>, as a shop would, and sends an automatic $pageview, a track and a login(): once through
// the image beacon (GET /sa.gif?data=…) and once through the batch sender (XHR POST /sa.gif,
// data_list=…, queued in localStorage). Rekindle's REST API then shows one person holding the
// login id and the SDK's cookie id, and each event once, with `context.library.name` sensors-js,
// also after every request the SDK made is sent a second time (the resend the SDK does when it
// cannot read an answer). The batch sender's queue drains: it read Rekindle's answers across
// origins. These tests add two people and their events to the store.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { readFile } from 'node:fs/promises'
import { baseUrl, byTestId, env, login, pagesPerTest } from './lib.mjs'

const TIMEOUT = 90_000
const freshPage = pagesPerTest()
const SDK = new URL('../node_modules/sa-sdk-javascript/sensorsdata.min.js', import.meta.url)
const LIVE = 'Live Watched'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const api = async (page, path) => {
  const r = await page.request.get(`${baseUrl()}/api/v1${path}`)
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`)
  return r.json()
}

/**
 * Calls `probe` until it returns something other than undefined; after `ms`, fails with `what`
 * and what `why()` says.
 */
async function until(what, probe, why = () => '', ms = 20_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${why()}`)
    await sleep(250)
  }
}

// The shop: its pages and the SDK, on a host other than Rekindle's (another site, not only
// another origin), each page initialising the SDK with the configuration of its name.
let shop
let shopOrigin
const configs = {}
before(async () => {
  const sdk = await readFile(SDK)
  shop = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://shop').pathname
    if (path === '/sensorsdata.min.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(sdk)
    } else if (configs[path.slice(1)]) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html><head><meta charset="utf-8"><title>直播间 · 测试小店</title>
<script src="/sensorsdata.min.js"></script>
<script>
  var sensors = window.sensorsDataAnalytic201505
  sensors.init(${JSON.stringify(configs[path.slice(1)])})
  sensors.quick('autoTrack')
</script></head><body><h1>测试小店</h1></body></html>`)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve))
  const host = new URL(baseUrl()).hostname === 'localhost' ? '127.0.0.1' : 'localhost'
  shopOrigin = `http://${host}:${shop.address().port}`
})
after(() => shop && new Promise((resolve) => shop.close(resolve)))

/** The records of one of the SDK's requests: `data` of a beacon, `data_list` of a batch. */
function records(method, url, body) {
  const fields = new URLSearchParams(method === 'GET' ? new URL(url).search : body ?? '')
  const encoded = fields.get('data') ?? fields.get('data_list')
  if (!encoded) return []
  const json = JSON.parse(Buffer.from(encoded.replaceAll(' ', '+'), 'base64').toString('utf8'))
  return Array.isArray(json) ? json : [json]
}

/**
 * A page of the shop with the SDK configured by `config`, and what the SDK sent to Rekindle:
 * every request (method, URL, body, status, CORS header, or failure), as it happens.
 */
async function shopPage(t, name, config) {
  configs[name] = { server_url: `${baseUrl()}/sa?token=${encodeURIComponent(env('REKINDLE_WRITE_KEY'))}`, ...config }
  const page = await freshPage(t)
  const sent = []
  const sensorsPath = /^\/(sa|sa\.gif|debug)$/
  const mine = (r) => r.url().startsWith(baseUrl()) && sensorsPath.test(new URL(r.url()).pathname)
  page.on('request', (r) => {
    if (mine(r)) sent.push({ request: r, method: r.method(), type: r.resourceType(), url: r.url(), body: r.postData() })
  })
  page.on('requestfinished', async (r) => {
    const s = sent.find((s) => s.request === r)
    if (!s) return
    try {
      const response = await r.response()
      s.status = response?.status()
      s.allowOrigin = response ? await response.headerValue('access-control-allow-origin') : null
    } catch (e) {
      s.failure = `no response: ${e.message}` // the page closed meanwhile
    }
    s.done = true
  })
  page.on('requestfailed', (r) => {
    const s = sent.find((s) => s.request === r)
    if (s) Object.assign(s, { failure: r.failure()?.errorText, done: true })
  })
  await page.goto(`${shopOrigin}/${name}`)
  assert.equal(await page.evaluate(() => window.sensorsDataAnalytic201505?.lib_version), '1.27.11')
  return { page, sent }
}

/** What a visitor does on the shop's page: watches the live room, then signs in. */
async function visit(page, user, session) {
  const anonymous = await page.evaluate(() => window.sensorsDataAnalytic201505.quick('getAnonymousID'))
  assert.match(anonymous, /^[0-9a-f-]{20,}$/, 'the SDK made a cookie id')
  await page.evaluate(
    ([name, session]) => window.sensorsDataAnalytic201505.track(name, { session_id: session, seconds: 30, room: '春季上新' }),
    [LIVE, session],
  )
  await page.evaluate((user) => window.sensorsDataAnalytic201505.login(user), user)
  const ids = await page.evaluate(() => {
    const s = window.sensorsDataAnalytic201505
    const cookie = document.cookie.split('; ').find((c) => c.startsWith('sensorsdata2015jssdkcross='))
    const saved = JSON.parse(decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1)))
    return {
      first: s.store.getFirstId(),
      distinct: s.store.getDistinctId(),
      anonymous: s.quick('getAnonymousID'),
      cookie: { first: saved.first_id, distinct: saved.distinct_id },
    }
  })
  assert.deepEqual(
    ids,
    { first: anonymous, distinct: user, anonymous, cookie: { first: anonymous, distinct: user } },
    'signed in, the cookie id is kept as the first id, in the cookie too',
  )
  return anonymous
}

/** The SDK's requests so far, a line each: method, path, answer, records. */
const requestLines = (sent) =>
  sent.map((s) => {
    const what = records(s.method, s.url, s.body).map((r) => r.event ?? r.type)
    return `${s.method} ${new URL(s.url).pathname} (${s.type}) → ${s.status ?? s.failure ?? 'pending'}: ${what.join(', ')}`
  })
const explain = (sent) => () => `; the SDK sent:\n${requestLines(sent).join('\n') || '(nothing)'}`

/** Waits until every request the SDK made has its answer; lists them in the test's diagnostics. */
async function answered(t, sent) {
  await until('the answers to the SDK', () => (sent.length > 0 && sent.every((s) => s.done) ? true : undefined), explain(sent))
  for (const line of requestLines(sent)) t.diagnostic(line)
  for (const s of sent) {
    assert.equal(s.failure, undefined, `${s.method} ${s.url.slice(0, 100)} failed: ${s.failure}`)
    assert.equal(s.status, 200, `${s.method} ${s.url.slice(0, 100)}`)
  }
}

/**
 * The person Rekindle has under the login id once they hold the cookie id and their page view,
 * live event and sign-up are stored; with their events.
 */
async function stored(owner, { user, anonymous, sent }) {
  const who = encodeURIComponent(`user_id:${user}`)
  return until(`${user} and their events`, async () => {
    const r = await owner.request.get(`${baseUrl()}/api/v1/people/${who}`)
    if (r.status() === 404) return undefined
    assert.equal(r.status(), 200, await r.text())
    const person = await r.json()
    if (!person.identities.some((i) => i.kind === 'anonymous_id' && i.value === anonymous)) return undefined
    const { events } = await api(owner, `/people/${who}/events?limit=1000`)
    const kinds = new Set(events.map((e) => (e.type === 'track' ? e.name : e.type)))
    if (!['page', LIVE, 'alias'].every((k) => kinds.has(k))) return undefined
    return { person, events }
  }, explain(sent))
}

/** Checks what Rekindle holds of the visit: one person, each event once, from sensors-js. */
async function checkStored(owner, { user, anonymous, session, sent }) {
  const { person, events } = await stored(owner, { user, anonymous, sent })
  const ids = person.identities.map((i) => `${i.kind}:${i.value}`)
  assert.ok(ids.includes(`user_id:${user}`) && ids.includes(`anonymous_id:${anonymous}`), ids.join(', '))
  const byCookie = await api(owner, `/people/${encodeURIComponent(`anonymous_id:${anonymous}`)}`)
  assert.equal(byCookie.id, person.id, 'the cookie id and the login id name one person')

  const ofKind = (kind, name) => events.filter((e) => e.type === kind && (name === undefined || e.name === name))
  const pages = ofKind('page')
  const lives = ofKind('track', LIVE)
  const aliases = ofKind('alias')
  assert.equal(pages.length, 1, `one page view: ${JSON.stringify(pages.map((e) => e.message_id))}`)
  assert.equal(lives.length, 1, `one ${LIVE}: ${JSON.stringify(lives.map((e) => e.message_id))}`)
  assert.equal(aliases.length, 1, `one sign-up: ${JSON.stringify(aliases.map((e) => e.message_id))}`)
  const messageIds = events.map((e) => e.message_id)
  assert.equal(new Set(messageIds).size, messageIds.length, `no message twice: ${messageIds.join(', ')}`)

  const [page] = pages
  const [live] = lives
  const [alias] = aliases
  for (const e of [page, live, alias]) {
    assert.equal(e.person, person.id)
    assert.equal(e.payload.context?.library?.name, 'sensors-js', `${e.type} ${JSON.stringify(e.payload.context?.library)}`)
    assert.equal(e.payload.context.library.version, '1.27.11')
    assert.match(e.message_id, /^sensors-[0-9a-f]{24}$/)
  }
  assert.equal(page.payload.anonymousId, anonymous)
  // What the Segment shape has no place for is kept (the project here); the cookie id is the
  // anonymousId, the _track_id is in the message id: neither is stored twice.
  assert.equal(page.payload.context.sensors?.identities, undefined, JSON.stringify(page.payload.context.sensors))
  assert.equal(page.payload.userId, undefined, 'the page was viewed before signing in')
  assert.equal(page.payload.properties.$title, '直播间 · 测试小店')
  assert.ok(page.payload.context.page?.url?.startsWith(shopOrigin), `page url ${page.payload.context.page?.url}`)
  assert.equal(live.payload.anonymousId, anonymous)
  assert.deepEqual(
    { session_id: live.payload.properties.session_id, seconds: live.payload.properties.seconds, room: live.payload.properties.room },
    { session_id: session, seconds: 30, room: '春季上新' },
  )
  assert.equal(alias.payload.userId, user)
  assert.equal(alias.payload.previousId, anonymous)
  return events
}

/**
 * Sends every request the SDK made again, from the shop's page as the SDK would (readable
 * across origins, or fetch throws), then checks that Rekindle stored nothing new.
 */
async function resendAll(owner, page, sent, { user, before }) {
  const requests = sent.map(({ method, url, body }) => ({ method, url, body }))
  const answers = await page.evaluate(
    (requests) =>
      Promise.all(
        requests.map(async ({ method, url, body }) => {
          const r = await fetch(url, {
            method,
            body: method === 'POST' ? body : undefined,
            headers: method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded' } : undefined,
            cache: 'no-store',
          })
          return r.status
        }),
      ),
    requests,
  )
  assert.deepEqual(answers, requests.map(() => 200), 'the resent requests are accepted')
  // Reads see every event acknowledged before them.
  const { events } = await api(owner, `/people/${encodeURIComponent(`user_id:${user}`)}/events?limit=1000`)
  assert.deepEqual(
    events.map((e) => e.message_id).sort(),
    before.map((e) => e.message_id).sort(),
    'a resent record is stored once',
  )
}

/** Ids of this run's visitor, so the demo's people and earlier runs' are never read. */
function visitor(kind) {
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  return { user: `sa-e2e-${kind}-${run}`, session: `live-${kind}-${run}` }
}

test('神策 web SDK, image beacon: page view, track and login() reach one person, each event once', { timeout: TIMEOUT }, async (t) => {
  const owner = await freshPage(t)
  await login(owner, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const { user, session } = visitor('image')
  const { page, sent } = await shopPage(t, 'image', { send_type: 'image' })
  const anonymous = await visit(page, user, session)

  const events = await checkStored(owner, { user, anonymous, session, sent })
  await answered(t, sent)
  // The beacon: GETs of the rewritten server URL, one record each, the write key in the query.
  for (const s of sent) {
    const url = new URL(s.url)
    assert.equal(`${s.method} ${url.pathname}`, 'GET /sa.gif', s.url.slice(0, 100))
    assert.equal(s.type, 'image')
    assert.equal(url.searchParams.get('token'), env('REKINDLE_WRITE_KEY'))
    assert.equal(records(s.method, s.url).length, 1)
  }
  const types = sent.flatMap((s) => records(s.method, s.url)).map((r) => r.event ?? r.type)
  for (const e of ['$pageview', LIVE, '$SignUp']) assert.equal(types.filter((x) => x === e).length, 1, `${e} in ${types}`)

  await resendAll(owner, page, sent, { user, before: events })
})

test('神策 web SDK, batch sender: page view, track and login() reach one person once, and its queue drains', { timeout: TIMEOUT }, async (t) => {
  const owner = await freshPage(t)
  await login(owner, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  const { user, session } = visitor('batch')
  const { page, sent } = await shopPage(t, 'batch', { batch_send: { send_interval: 1000 } })
  const anonymous = await visit(page, user, session)

  const events = await checkStored(owner, { user, anonymous, session, sent })
  // The SDK forgets a record only once it has read a 2xx answer to it: Rekindle's CORS headers
  // let it read them from the shop's origin.
  const queued = () =>
    page.evaluate(() =>
      Object.keys(localStorage).filter(
        (k) =>
          k.startsWith('sawebjssdk-') ||
          (k.startsWith('tab-sawebjssdk-') && JSON.parse(localStorage.getItem(k)).data.length > 0),
      ),
    )
  await until('the batch sender\'s queue to drain', async () => ((await queued()).length === 0 ? true : undefined), explain(sent))
  assert.ok(
    await page.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('tab-sawebjssdk-'))),
    'the batch sender kept its queue in localStorage',
  )
  await answered(t, sent)
  for (const s of sent) {
    const url = new URL(s.url)
    assert.equal(`${s.method} ${url.pathname}`, 'POST /sa.gif', s.url.slice(0, 100))
    assert.equal(s.type, 'xhr')
    assert.equal(url.searchParams.get('token'), env('REKINDLE_WRITE_KEY'))
    assert.match(s.body, /^data_list=/)
    assert.equal(s.allowOrigin, shopOrigin, 'the answer names the shop, so the SDK may read it')
  }
  const types = sent.flatMap((s) => records(s.method, s.url, s.body)).map((r) => r.event ?? r.type)
  for (const e of ['$pageview', LIVE, '$SignUp']) assert.ok(types.includes(e), `${e} in ${types}`)

  await resendAll(owner, page, sent, { user, before: events })
})

test('the owner finds how to point each SDK at Rekindle, with a new write key in the snippet', { timeout: TIMEOUT }, async (t) => {
  const owner = await freshPage(t)
  await login(owner, env('REKINDLE_OWNER_EMAIL'), env('REKINDLE_OWNER_PASSWORD'))
  await owner.click(byTestId('nav-settings'))
  const keys = owner.locator(byTestId('settings-keys'))
  const setup = keys.locator(byTestId('sdk-setup'))
  await setup.waitFor()
  assert.match(await setup.innerText(), /接入 SDK|Connect an SDK/)
  // Before a key is made, the snippet holds a placeholder for it.
  assert.match(await setup.locator(byTestId('sdk-address')).innerText(), /\/sa\?token=(<写入密钥>|<write key>)$/)
  await keys.locator('form input').fill(`sensors-e2e-${Date.now()}`)
  await keys.locator('form button[type="submit"]').click()
  const secret = (await keys.locator(byTestId('write-key-secret')).locator('code').innerText()).trim()
  assert.equal(
    (await setup.locator(byTestId('sdk-address')).innerText()).trim(),
    `${new URL(owner.url()).origin}/sa?token=${secret}`,
  )
  assert.match(await setup.locator(byTestId('sdk-snippet')).innerText(), /sensors\.init\(\{\s+server_url: '.*\/sa\?token=rk_/)
  await setup.locator(byTestId('sdk-sensorsServer')).click()
  assert.match(await setup.locator(byTestId('sdk-snippet')).innerText(), /BatchConsumer\('.*\/sa\?token=rk_/)
  await setup.locator(byTestId('sdk-segment')).click()
  assert.equal((await setup.locator(byTestId('sdk-address')).innerText()).trim(), new URL(owner.url()).origin)
  assert.match(await setup.locator(byTestId('sdk-snippet')).innerText(), new RegExp(`write_key = '${secret}'`))
})
