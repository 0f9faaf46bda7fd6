// What the subscriptions page, its side panel and the person's card share: the words for a
// subscription's and a shipment's status, and a refusal of an action as the server says it.
import { useI18n } from 'vue-i18n'
import { ApiError, type ShipmentStatus, type SubscriptionStatus } from '../../api'
import { useErrorText } from '../../format'

/** The badge class of a shipment's status. */
export const shipmentClass = (s: ShipmentStatus) => `ship-${s}`
/** The badge class of a subscription's status. */
export const statusClass = (s: SubscriptionStatus | null | undefined) => `sub-${s ?? 'unknown'}`

export function useSubscriptionWords() {
  const { t } = useI18n()
  return {
    status: (s: SubscriptionStatus | null | undefined) => (s ? t(`subscriptions.status.${s}`) : t('common.none')),
    shipment: (s: ShipmentStatus) => t(`subscriptions.shipment.${s}`),
    /** Whether a shipment goes out: yes, no, or not yet known while it can be answered. */
    goesOut: (g: boolean | null | undefined) => t(g === true ? 'subscriptions.goesOut.yes' : g === false ? 'subscriptions.goesOut.no' : 'subscriptions.goesOut.pending'),
    every: (days: number, quantity: number) => t('subscriptions.every', { days, quantity }),
  }
}

/**
 * A refused action in the server's words: it says why in the console's language (the request
 * sends Accept-Language) and names the field; other failures as the console words them.
 */
export function useActionRefusal() {
  const errorText = useErrorText()
  return (e: unknown): string => {
    if (e instanceof ApiError && (e.status === 400 || e.status === 409) && e.message) return e.message
    return errorText(e)
  }
}

/** A store day `n` days after `day` (YYYY-MM-DD, no time zone involved). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

/** Today in the store's time zone, YYYY-MM-DD. */
export function storeToday(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
  } catch {
    return new Date().toISOString().slice(0, 10)
  }
}
