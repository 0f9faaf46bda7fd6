// Formatting of money (integer fen), counts, dates (in the store's time zone) and durations.
import { useI18n } from 'vue-i18n'
import { session } from './session'

const cache = new Map<string, Intl.DateTimeFormat>()

function dateFormat(locale: string, timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${withTime}`
  let f = cache.get(key)
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' }
    if (withTime) Object.assign(opts, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    try {
      f = new Intl.DateTimeFormat(locale, { ...opts, timeZone })
    } catch {
      f = new Intl.DateTimeFormat(locale, { ...opts, timeZone: 'UTC' }) // unknown zone
    }
    cache.set(key, f)
  }
  return f
}

export function fenToYuan(fen: number): number {
  return Math.round(fen) / 100
}

/** Formatters bound to the current locale and the selected store's time zone. */
export function useFormat() {
  const { t, locale } = useI18n()
  return {
    money(fen: number | null | undefined): string {
      if (fen === null || fen === undefined) return t('common.none')
      return (
        '¥' +
        fenToYuan(fen).toLocaleString(locale.value, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
      )
    },
    count(n: number | null | undefined): string {
      return n === null || n === undefined ? t('common.none') : n.toLocaleString(locale.value)
    },
    /** A number with at most `digits` decimals (e.g. 6.5 days). */
    decimal(n: number | null | undefined, digits = 1): string {
      if (n === null || n === undefined) return t('common.none')
      return n.toLocaleString(locale.value, { maximumFractionDigits: digits })
    },
    /** A number with exactly `digits` decimals (e.g. 1.0 orders). */
    fixed(n: number | null | undefined, digits = 1): string {
      if (n === null || n === undefined || !Number.isFinite(n)) return t('common.none')
      return n.toLocaleString(locale.value, { minimumFractionDigits: digits, maximumFractionDigits: digits })
    },
    /** A number to `digits` significant digits (e.g. model parameters). */
    significant(n: number | null | undefined, digits = 4): string {
      if (n === null || n === undefined || !Number.isFinite(n)) return t('common.none')
      return n.toLocaleString(locale.value, { maximumSignificantDigits: digits })
    },
    /** A share of 0–1 as a percentage (e.g. 0.873 → 87.3%). */
    percent(share: number | null | undefined, digits = 1): string {
      if (share === null || share === undefined || !Number.isFinite(share)) return t('common.none')
      return share.toLocaleString(locale.value, { style: 'percent', maximumFractionDigits: digits })
    },
    dateTime(iso: string | null | undefined): string {
      if (!iso) return t('common.none')
      const d = new Date(iso)
      return isNaN(d.getTime()) ? iso : dateFormat(locale.value, session.timeZone.value, true).format(d)
    },
    /** The time of day to the second (e.g. when figures were last updated). */
    time(iso: string | null | undefined): string {
      if (!iso) return t('common.none')
      const d = new Date(iso)
      if (isNaN(d.getTime())) return iso
      try {
        return d.toLocaleTimeString(locale.value, { timeZone: session.timeZone.value, hourCycle: 'h23' })
      } catch {
        return d.toLocaleTimeString(locale.value, { timeZone: 'UTC', hourCycle: 'h23' })
      }
    },
    date(iso: string | null | undefined): string {
      if (!iso) return t('common.none')
      const d = new Date(iso)
      return isNaN(d.getTime()) ? iso : dateFormat(locale.value, session.timeZone.value, false).format(d)
    },
    /** A long wait, coarsely: days and hours, hours and minutes, or minutes (e.g. 2 天 9 小时). */
    elapsed(seconds: number | null | undefined): string {
      if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return t('common.none')
      const total = Math.max(0, Math.floor(seconds))
      const d = Math.floor(total / 86400)
      const h = Math.floor((total % 86400) / 3600)
      const m = Math.floor((total % 3600) / 60)
      if (d) return t('duration.d', { d, h })
      if (h) return t('duration.h', { h, m })
      if (m) return t('duration.min', { m })
      return t('duration.under')
    },
    duration(seconds: number): string {
      const h = Math.floor(seconds / 3600)
      const m = Math.floor((seconds % 3600) / 60)
      const s = Math.floor(seconds % 60)
      if (h) return t('duration.h', { h, m })
      if (m) return t('duration.m', { m, s })
      return t('duration.s', { s })
    },
  }
}

/** The translated text of an API error (by its code), falling back to the server's message. */
export function useErrorText() {
  const { t, te } = useI18n()
  return (e: unknown): string => {
    if (e && typeof e === 'object' && 'code' in e) {
      const err = e as { code: string; status?: number; message: string }
      if (te(`errors.${err.code}`)) return t(`errors.${err.code}`)
      if (err.status === 403) return t('errors.forbidden')
      if (err.status === 404) return t('errors.not_found')
      return t('errors.generic', { message: err.message || err.code })
    }
    return t('errors.generic', { message: String(e) })
  }
}
