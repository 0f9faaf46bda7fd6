// Shared bits of the WeCom relationship pages (企微关系, 渠道活码, the person's 企微好友 card and
// the chat sidebar): the words of sources, transfer statuses and endings, lists typed as text,
// and a refusal naming one of a form's fields.
import { useI18n } from 'vue-i18n'
import { ApiError, type TransferStatus } from '../../api'

/** Translated words of sources, transfer kinds and statuses, and who ended a friendship. */
export function useContactWords() {
  const { t, te } = useI18n()
  const word = (prefix: string, v: string | null | undefined) => {
    if (!v) return t('common.none')
    return te(`${prefix}.${v}`) ? t(`${prefix}.${v}`) : v
  }
  return {
    source: (s: string | null | undefined) => word('contactSources', s),
    status: (s: string | null | undefined) => word('transferStatus', s),
    kind: (k: string | null | undefined) => word('contacts.transfers.kinds', k),
    removedBy: (by: string | null | undefined) => word('detail.removedBy', by ?? 'unknown'),
  }
}

/** A transfer status's badge colour. */
export function statusClass(s: TransferStatus): string {
  if (s === 'done') return 'transfer-done'
  if (s === 'refused' || s === 'takeover_full' || s === 'failed') return 'transfer-refused'
  return 'transfer-open'
}

/** Items typed one per line or separated by commas (also Chinese ones), trimmed, empties dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,，、;；]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Lines of a textarea, trimmed, empties dropped. */
export function splitLines(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * A refusal naming one of a form's fields: `staff`, or one item of a list as `staff[1]` (`base`
 * `staff`, `index` 1). Any status: a customer nobody has comes back as a 404 naming its line.
 */
export interface FieldRefusal {
  field: string
  base: string
  index: number | null
  message: string
}

export function refusalOf(e: unknown, fields: readonly string[]): FieldRefusal | null {
  if (!(e instanceof ApiError) || !e.field || e.status >= 500) return null
  const m = /^([a-z_]+)(?:\[(\d+)\])?$/.exec(e.field)
  if (!m || !fields.includes(m[1])) return null
  return { field: e.field, base: m[1], index: m[2] === undefined ? null : Number(m[2]), message: e.message }
}
