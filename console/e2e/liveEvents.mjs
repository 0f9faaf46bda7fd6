// Helpers of the live-room browser tests and screenshots: sessions put through the REST API,
// viewers' events sent through the Segment-compatible /v1/batch with the demo's write key,
// and regulars of the demo store (people who came to earlier sessions) to send them as.
import assert from 'node:assert/strict'
import { baseUrl, env } from './lib.mjs'

/** The CSRF header of the signed-in page's session, for its state-changing API calls. */
export async function csrfHeaders(page) {
  const me = await (await page.request.get(`${baseUrl()}/api/v1/auth/me`)).json()
  return { 'X-CSRF-Token': me.csrf_token }
}

/** Adds or replaces live sessions (by id) in the store's schedule. */
export async function putSessions(page, sessions) {
  const res = await page.request.put(`${baseUrl()}/api/v1/live-sessions`, { data: sessions, headers: await csrfHeaders(page) })
  assert.equal(res.status(), 200, await res.text())
}

/** Sends events as the live platform would: one /v1/batch with the write key. */
export async function send(page, messages) {
  const auth = `Basic ${Buffer.from(`${env('REKINDLE_WRITE_KEY')}:`).toString('base64')}`
  const res = await page.request.post(`${baseUrl()}/v1/batch`, { data: { batch: messages }, headers: { Authorization: auth } })
  assert.equal(res.status(), 200, await res.text())
}

/** A viewer's device; with a phone, OneID files their events under the person with that phone. */
export const viewer = (anonymousId, phone) => (phone ? { anonymousId, context: { traits: { phone } } } : { anonymousId })

let sequence = 0
/** One track message of `who`, stamped `at`. */
export function track(who, event, properties, at = new Date()) {
  sequence += 1
  return { type: 'track', messageId: `e2e-${Date.now()}-${sequence}`, ...who, event, properties, timestamp: at.toISOString() }
}

/** Entering the room and a first heartbeat. */
export const enter = (who, session, at = new Date()) => [
  track(who, 'Live Entered', { session_id: session }, at),
  track(who, 'Live Watched', { session_id: session, seconds: 15 }, new Date(at.getTime() + 1000)),
]

/**
 * Up to `n` people of the demo store who watched at least two sessions, best spenders first,
 * each with their phone (unmasked: the owner reads it) and whether they are in the private
 * domain (their latest Contact Added not followed by a Contact Removed). At least one of them is
 * in the private domain when the first 100 spenders hold one.
 */
export async function regulars(page, n) {
  const get = async (path) => {
    const res = await page.request.get(`${baseUrl()}${path}`)
    assert.equal(res.status(), 200, `${path}: ${await res.text()}`)
    return res.json()
  }
  const list = await get('/api/v1/people/list?sort=spend&per_page=100')
  const found = []
  for (const p of list.people) {
    if (!p.phone) continue
    const live = await get(`/api/v1/people/${p.id}/live`)
    if (live.length < 2) continue
    const { events } = await get(`/api/v1/people/${p.id}/events?limit=1000`) // newest first
    const contact = events.find((e) => e.name === 'Contact Added' || e.name === 'Contact Removed')
    const isPrivate = contact?.name === 'Contact Added'
    found.push({ id: p.id, name: p.name, phone: p.phone, sessions: live.length, private: isPrivate })
    if (found.length >= n && found.some((r) => r.private)) break
  }
  // The private domain first, so the first regular asks a private-domain question.
  found.sort((a, b) => Number(b.private) - Number(a.private))
  return found.slice(0, n)
}
