// Shared bits of the customer-service pages (售后工单, 客服会话, 知识库): labels, the server's
// clock read off a row, who a reply or note is recorded as, and a form's submission.
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError } from './api'
import { session } from './session'

/** Labels of ticket reasons and value tiers; an unknown reason is shown as written. */
export function useServiceText() {
  const { t, te } = useI18n()
  return {
    reason(r: string | null | undefined): string {
      if (!r) return t('common.none')
      return te(`service.reasons.${r}`) ? t(`service.reasons.${r}`) : r
    },
    tier(tier: string | null | undefined): string {
      return tier ? t(`tiers.${tier}`) : t('common.none')
    },
    /** A person's name, or a placeholder for one who has none. */
    name(name: string | null | undefined): string {
      return name || t('service.anonymous')
    },
  }
}

/**
 * The server's now (ms) as a row tells it: when something began and how long ago. The queue's
 * clock is the server's, which a demo store may run apart from the browser's.
 */
export function serverNow(began: string, seconds: number): number {
  return Date.parse(began) + seconds * 1000
}

/** Who the signed-in operator is, as a reply or note names them. */
export function staffName(): string {
  const u = session.user.value
  return (u?.name || u?.email || '').trim()
}

/** A confidence of 0–1 as a whole percentage (0.683 → 68%). */
export function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`
}

/** A refusal naming one of `fields` (an exact name or a prefix such as `alternatives[`), or null. */
export function fieldOf(e: unknown, fields: RegExp): { field: string; message: string } | null {
  if (e instanceof ApiError && e.status === 400 && e.field && fields.test(e.field)) {
    return { field: e.field, message: e.message }
  }
  return null
}

/**
 * A form's submission: `busy` while `action` runs, and its failure as either a refusal of one of
 * the form's fields (what `refusal` makes of the error, shown at the field) or any other error.
 */
export function useSubmit(refusal: (e: unknown) => { field: string; message: string } | null) {
  const busy = ref(false)
  const fieldError = ref<{ field: string; message: string } | null>(null)
  const actionError = ref<unknown>(null)

  async function submit(action: () => Promise<void>): Promise<void> {
    busy.value = true
    fieldError.value = null
    actionError.value = null
    try {
      await action()
    } catch (e) {
      fieldError.value = refusal(e)
      if (!fieldError.value) actionError.value = e
    } finally {
      busy.value = false
    }
  }

  return { busy, fieldError, actionError, submit }
}
