// The live room (直播, docs/live.md): a session's status, the monitor's stream, and the words
// the monitor and the review share (who a viewer is, comparisons, watch-time buckets).
import { onBeforeUnmount, onMounted, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError, type LiveMonitor, type LiveSessionInfo, type LiveWatchBucket } from './api'

export type LiveStatus = 'scheduled' | 'live' | 'ended'

/** 直播中 once started and not ended, 已结束 once ended, else 未开始. */
export function liveStatus(s: Pick<LiveSessionInfo, 'started_at' | 'ended_at'>): LiveStatus {
  return s.ended_at ? 'ended' : s.started_at ? 'live' : 'scheduled'
}

/** When a session began, or is to begin. */
export const liveStart = (s: LiveSessionInfo): string => s.started_at ?? s.scheduled_start

/** Newest first: by the start, else the scheduled start. */
export function newestFirst(sessions: readonly LiveSessionInfo[]): LiveSessionInfo[] {
  const at = (s: LiveSessionInfo): number => Date.parse(liveStart(s))
  return [...sessions].sort((a, b) => at(b) - at(a) || b.id.localeCompare(a.id))
}

/** A viewer as the host reads them: the nickname, else a short form of their id. */
export function viewerName(name: string | null | undefined, person: string): string {
  return name?.trim() || `${person.slice(0, 4)}…${person.slice(-4)}`
}

export type StreamState = 'connecting' | 'live' | 'reconnecting'

/**
 * Follows a room's monitor over Server-Sent Events (the browser's EventSource, with the session
 * cookie): `onMonitor` gets each snapshot. The browser reconnects by itself after a dropped
 * connection; when the server refused the stream, a snapshot is asked for instead (its error —
 * the session gone, the role not allowed, signed out — is handed to `onError`) and the stream
 * is opened again a few seconds later. Closed when the page is left.
 */
export function useMonitorStream(
  url: () => string,
  snapshot: () => Promise<LiveMonitor>,
  onMonitor: (m: LiveMonitor) => void,
  onError: (e: unknown) => void,
) {
  const state = ref<StreamState>('connecting')
  /** When the last snapshot arrived (Date.now()), to say how fresh the figures are. */
  const receivedAt = ref(0)
  let source: EventSource | null = null
  let retry: number | undefined
  let closed = false

  function received(m: LiveMonitor): void {
    state.value = 'live'
    receivedAt.value = Date.now()
    onMonitor(m)
  }

  function open(): void {
    if (closed) return
    source = new EventSource(url())
    source.addEventListener('open', () => {
      state.value = 'live'
    })
    source.addEventListener('monitor', (e) => received(JSON.parse((e as MessageEvent<string>).data) as LiveMonitor))
    source.addEventListener('error', () => {
      state.value = 'reconnecting'
      if (source?.readyState !== EventSource.CLOSED) return // the browser retries by itself
      source.close()
      source = null
      snapshot().then(
        (m) => {
          received(m)
          state.value = 'reconnecting'
          retry = window.setTimeout(open, 3000)
        },
        (e) => {
          // Gone or forbidden: stop; anything else (the server restarting): keep trying.
          if (e instanceof ApiError && [401, 403, 404].includes(e.status)) onError(e)
          else retry = window.setTimeout(open, 3000)
        },
      )
    })
  }

  /** Starts over (after an error was shown). */
  function reopen(): void {
    window.clearTimeout(retry)
    source?.close()
    state.value = 'connecting'
    open()
  }

  onMounted(open)
  onBeforeUnmount(() => {
    closed = true
    window.clearTimeout(retry)
    source?.close()
  })
  return { state, receivedAt, reopen }
}

/** A clock for ages that tick between updates: `now` moves on every second. */
export function useNow(every = 1000) {
  const now = ref(Date.now())
  let timer: number | undefined
  onMounted(() => {
    timer = window.setInterval(() => (now.value = Date.now()), every)
  })
  onBeforeUnmount(() => window.clearInterval(timer))
  return now
}

/** The live words: comparisons as sentences, and a watch-time bucket's name. */
export function useLiveWords() {
  const { t } = useI18n()
  return {
    /** `now` against `reference` in words ("高 18%", "低 5%", "持平"), with a class for its colour. */
    change(now: number | null | undefined, reference: number | null | undefined): { text: string; cls: string } | null {
      if (now === null || now === undefined || reference === null || reference === undefined) return null
      if (reference === 0) return now === 0 ? { text: t('live.change.same'), cls: '' } : null
      const d = ((now - reference) / reference) * 100
      if (Math.abs(d) < 0.5) return { text: t('live.change.same'), cls: '' }
      const pct = Math.abs(d) >= 10 ? d.toFixed(0) : d.toFixed(1)
      return d > 0
        ? { text: t('live.change.up', { d: pct }), cls: 'up' }
        : { text: t('live.change.down', { d: pct.replace('-', '') }), cls: 'down' }
    },
    bucket(b: LiveWatchBucket): string {
      if (b.to_minutes === null || b.to_minutes === undefined) return t('live.review.bucketLast', { from: b.from_minutes })
      if (b.from_minutes === 0) return t('live.review.bucketFirst', { to: b.to_minutes })
      return t('live.review.bucket', { from: b.from_minutes, to: b.to_minutes })
    },
  }
}
