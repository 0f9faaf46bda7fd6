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
    enrollment: (s: string) => known(`enrollmentStates.${s}`, s),
    step: (o: string) => known(`journey.readout.outcomes.${o}`, o),
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
