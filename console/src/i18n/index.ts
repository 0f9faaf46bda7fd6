// vue-i18n setup: zh-CN by default, English on request; the choice lives in localStorage.
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'

export type MessageSchema = typeof zhCN
export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']

const LANG_KEY = 'rekindle.lang'

function initialLocale(): Locale {
  const saved = localStorage.getItem(LANG_KEY)
  return LOCALES.includes(saved as Locale) ? (saved as Locale) : 'zh-CN'
}

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: false,
  fallbackWarn: false,
})

function applyToDocument(locale: Locale): void {
  document.documentElement.lang = locale
  document.title = i18n.global.t('app.title')
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(LANG_KEY, locale)
  applyToDocument(locale)
}

applyToDocument(i18n.global.locale.value)
