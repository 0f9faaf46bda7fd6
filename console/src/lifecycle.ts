// Lifecycle stages, value tiers and churn risks: translated names and the colours charts and badges share.
import { useI18n } from 'vue-i18n'
import type { ChurnRisk, LifecycleStage, ValueTier } from './api'

export const STAGE_COLORS: Record<LifecycleStage, string> = {
  prospect: '#adb5bd',
  new: '#1c7ed6',
  active: '#2b8a3e',
  silent: '#f08c00',
  churned: '#c92a2a',
  reactivated: '#e8590c',
}

export const TIER_COLORS: Record<ValueTier, string> = {
  high: '#e8590c',
  potential: '#1c7ed6',
  edge: '#adb5bd',
}

export const RISK_COLORS: Record<ChurnRisk, string> = {
  low: '#2b8a3e',
  medium: '#f08c00',
  high: '#c92a2a',
}

/** Translated names of stages, tiers and churn risks; an unknown value is shown as it is. */
export function useLifecycleLabels() {
  const { t, te } = useI18n()
  return {
    stage(stage: string | null | undefined): string {
      if (!stage) return t('common.none')
      return te(`lifecycle.${stage}`) ? t(`lifecycle.${stage}`) : stage
    },
    tier(tier: string | null | undefined): string {
      if (!tier) return t('common.none')
      return te(`tiers.${tier}`) ? t(`tiers.${tier}`) : tier
    },
    risk(risk: string | null | undefined): string {
      if (!risk) return t('common.none')
      return te(`risks.${risk}`) ? t(`risks.${risk}`) : risk
    },
  }
}
