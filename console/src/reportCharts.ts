// What the reports' charts share: rates drawn as percentages.

/** `n` of `d` as a percentage; none of nobody. */
export const pct = (n: number, d: number): number | null => (d > 0 ? (n / d) * 100 : null)
export const round1 = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10)
/** A value axis of percentages. */
export const rateAxis = { type: 'value' as const, axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { color: '#eef0f3' } } }
