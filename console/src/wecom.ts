// The WeCom JS-SDK (jwxwork) as the chat sidebar uses it: sign the page for the app
// (`wx.agentConfig`, signed by the server) and ask which external contact the chat is with
// (`getCurExternalContact`). Inside WeCom's browser the SDK is loaded on demand.
import type { WecomJsapiConfig } from './api'

/** What the page needs of `window.wx`. */
interface WecomSdk {
  agentConfig(config: {
    corpid: string
    agentid: string | number
    timestamp: number | string
    nonceStr: string
    signature: string
    jsApiList: string[]
    success?: (res: unknown) => void
    fail?: (res: unknown) => void
  }): void
  invoke(name: string, args: Record<string, unknown>, callback: (res: { err_msg?: string; userId?: string }) => void): void
}

declare global {
  interface Window {
    wx?: WecomSdk
  }
}

/** WeCom's own JS-SDK, for its in-app browser. */
const SDK_URL = 'https://res.wx.qq.com/wwopen/js/jwxwork-1.0.0.js'

/** The page is open in WeCom's browser (its user agent says wxwork). */
export function inWecom(): boolean {
  return /wxwork/i.test(navigator.userAgent)
}

/** `window.wx`, loading the SDK first inside WeCom; null outside WeCom without it. */
export async function wecomSdk(): Promise<WecomSdk | null> {
  if (window.wx) return window.wx
  if (!inWecom()) return null
  await new Promise<void>((resolve, reject) => {
    const s = document.createElement('script')
    s.src = SDK_URL
    s.referrerPolicy = 'origin'
    s.onload = () => resolve()
    s.onerror = () => reject(new Error(`${SDK_URL} did not load`))
    document.head.appendChild(s)
  })
  return window.wx ?? null
}

/** The page's address as WeCom signs it: without the hash. */
export function signedUrl(): string {
  return location.href.split('#')[0]
}

function reason(res: unknown): string {
  if (res && typeof res === 'object') {
    const r = res as Record<string, unknown>
    const msg = r.err_msg ?? r.errMsg
    if (typeof msg === 'string') return msg
  }
  return String(res)
}

/**
 * The external userid of the customer the chat is with: the app's signature from `sign`
 * (the server's jsapi-config), then `getCurExternalContact`.
 */
export async function currentExternalContact(
  wx: WecomSdk,
  sign: (url: string) => Promise<WecomJsapiConfig>,
): Promise<string> {
  const c = await sign(signedUrl())
  await new Promise<void>((resolve, reject) =>
    wx.agentConfig({
      corpid: c.corp_id,
      agentid: c.agent_id,
      timestamp: c.timestamp,
      nonceStr: c.nonce_str,
      signature: c.signature,
      jsApiList: ['getCurExternalContact'],
      success: () => resolve(),
      fail: (res) => reject(new Error(reason(res))),
    }),
  )
  return new Promise<string>((resolve, reject) =>
    wx.invoke('getCurExternalContact', {}, (res) => {
      if (res.err_msg === 'getCurExternalContact:ok' && res.userId) resolve(res.userId)
      else reject(new Error(reason(res)))
    }),
  )
}
