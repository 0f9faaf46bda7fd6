// Names of message states, failure kinds, skip reasons and enrollment states, shared by the
// journey readout and the person page; unknown values are shown as they are.
import { useI18n } from 'vue-i18n'

export function useOutcomeLabels() {
  const { t, te } = useI18n()
  const known = (key: string, fallback: string) => (te(key) ? t(key) : fallback)
  return {
    channel: (c: string) => known(`channels.${c}`, c),
    state: (s: string) => known(`messageStates.${s}`, s),
    failure: (k: string) => known(`failureKinds.${k}`, k),
    skip: (r: string) => known(`skipReasons.${r}`, r),
    /** Why a message failed, in the operator's words when the code is one of ours; else the
     * provider's own message. */
    failed(kind: string | null | undefined, code: string | null | undefined, message: string | null | undefined): string {
      const head = kind ? known(`failureKinds.${kind}`, kind) : ''
      if (code && te(`failureCodes.${code}`)) return [head, t(`failureCodes.${code}`)].filter(Boolean).join('：')
      const codeText = code ? `(${code})` : ''
      return [[head, codeText].filter(Boolean).join(' '), message ?? ''].filter(Boolean).join(': ')
    },
    enrollment: (s: string) => known(`enrollmentStates.${s}`, s),
    /** A step outcome; `channel:<channel>` is the channel a send step with fallbacks took. */
    step(o: string): string {
      const [head, channel] = o.split(':', 2)
      if (head === 'channel' && channel) return `${t('journey.readout.outcomes.channel')} · ${known(`channels.${channel}`, channel)}`
      return known(`journey.readout.outcomes.${o}`, o)
    },
    /** A readout message outcome: `sent`, `failed:<kind>`, `skipped:<reason>`. */
    message(outcome: string): string {
      const [state, detail] = outcome.split(':', 2)
      if (!detail) return known(`messageStates.${state}`, outcome)
      const why = state === 'skipped' ? known(`skipReasons.${detail}`, detail) : known(`failureKinds.${detail}`, detail)
      return `${known(`messageStates.${state}`, state)} · ${why}`
    },
  }
}

/** The badge class of a message state (queued, sent, failed…). */
export function stateClass(state: string): string {
  return `msg-${state.split(':')[0]}`
}
