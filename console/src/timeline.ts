// Human-readable lines for a person's events: a translated label per known event name and a
// short detail drawn from the event's properties. Unknown names are shown as they are.
import { useI18n } from 'vue-i18n'
import type { PersonEvent } from './api'
import { useFormat } from './format'

type Props = Record<string, unknown>

function str(v: unknown): string | null {
  return typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null
}

/** The event's properties: the payload may be the stored message or its properties alone. */
function propsOf(e: PersonEvent): Props {
  const p = e.payload ?? {}
  const inner = p.properties
  return inner && typeof inner === 'object' ? (inner as Props) : p
}

function traitsOf(e: PersonEvent): Props {
  const p = e.payload ?? {}
  const inner = p.traits
  return inner && typeof inner === 'object' ? (inner as Props) : {}
}

/** An event name's key among the i18n `events` words: `Order Completed` → `order_completed`. */
export function eventNameKey(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, '_')
}

/** A stored event's key: its name, or for non-track messages their type. */
export function eventKey(e: PersonEvent): string {
  return eventNameKey(e.type !== 'track' || !e.name ? e.type : e.name)
}

export function useTimeline(sessionTitles: () => Map<string, string>) {
  const { t, te } = useI18n()
  const fmt = useFormat()

  function label(e: PersonEvent): string {
    const key = `events.${eventKey(e)}`
    return te(key) ? t(key) : (e.name ?? e.type)
  }

  function detail(e: PersonEvent): string[] {
    const p = propsOf(e)
    const out: string[] = []
    const session = str(p.session_id)
    if (session) out.push(t('detail.session', { title: sessionTitles().get(session) ?? session }))
    if (typeof p.seconds === 'number') out.push(fmt.duration(p.seconds))
    if (p.is_question === true) out.push(t('detail.question'))
    const text = str(p.text)
    if (text) out.push(`“${text}”`)
    const order = str(p.order_id)
    if (order) out.push(t('detail.order', { id: order }))
    if (Array.isArray(p.products)) out.push(t('detail.items', { n: p.products.length }))
    const group = str(p.group_name) ?? str(p.group_id)
    if (group) out.push(t('detail.group', { name: group }))
    const staff = str(p.staff_id)
    if (staff) out.push(t('detail.staff', { id: staff }))
    const reason = str(p.reason)
    if (reason) out.push(t('detail.reason', { reason: te(`ticketReasons.${reason}`) ? t(`ticketReasons.${reason}`) : reason }))
    // Referral Qualified: what qualified the friend's invitation (a first order, joining a group).
    const occasion = eventKey(e) === 'referral_qualified' ? str(p.occasion) : null
    if (occasion) out.push(te(`detail.occasion.${occasion}`) ? t(`detail.occasion.${occasion}`) : occasion)
    const key = eventKey(e)
    // WeCom friendships: where the customer came from (a channel code), who ended it, a transfer.
    const contact = key === 'contact_added' || key === 'contact_removed' || key.startsWith('contact_transfer')
    if (key === 'contact_added') {
      const source = str(p.source)
      if (source) out.push(t('detail.source', { source: te(`contactSources.${source}`) ? t(`contactSources.${source}`) : source }))
      const code = str(p.code)
      if (code) out.push(t('detail.channelCode', { code }))
    }
    const by = key === 'contact_removed' ? str(p.by) : null
    if (by && te(`detail.removedBy.${by}`)) out.push(t(`detail.removedBy.${by}`))
    const status = key === 'contact_transfer_updated' ? str(p.status) : null
    if (status) out.push(te(`transferStatus.${status}`) ? t(`transferStatus.${status}`) : status)
    if (key === 'contact_transfer_requested') {
      const handover = str(p.handover)
      const takeover = str(p.takeover)
      if (handover && takeover) out.push(t('detail.handover', { from: handover, to: takeover }))
    }
    const coupon = str(p.coupon) ?? str(p.coupon_id) ?? (contact ? null : str(p.code))
    if (coupon) out.push(t('detail.coupon', { code: coupon }))
    if (e.type === 'identify') {
      const keys = Object.keys(traitsOf(e)).map((k) => (te(`traits.${k}`) ? t(`traits.${k}`) : k))
      if (keys.length) out.push(t('detail.traits', { keys: keys.join('、') }))
    }
    return out
  }

  return { label, detail }
}
