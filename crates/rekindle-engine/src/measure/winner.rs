//! The rule an automatic winner is picked by (docs/journeys.md, "Automatic winners"), pure:
//! once every variant has `min_per_variant` measured entries, the variant whose order rate is
//! above every other variant's — each pair compared with the experiment readout's test,
//! p-values adjusted with Benjamini–Hochberg across all pairs — wins, unless the split's shares
//! are off (sample-ratio mismatch), a pair is too small to call (100 people, 30 orders an arm),
//! or the winner is significantly worse on a guardrail (opt-outs, removed contacts). The
//! holdout takes no part: it is kept after the decision.

use rekindle_core::journey::{Against, HOLDOUT, VariantFigures, WinnerEvidence};
use rekindle_models::experiment::{
    Comparison, ExperimentConfig, Proportion, benjamini_hochberg, compare_proportions, sample_ratio_mismatch,
};

use super::attribution::Arm;
use super::experiments::ORDER_RATE;

/// One variant's measured entries, as the rule reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pub variant: String,
    pub units: u64,
    pub orders: u64,
    pub opted_out: u64,
    pub removed: u64,
}

impl Counts {
    pub fn of(arm: &Arm) -> Self {
        let count = |f: fn(&super::attribution::Outcome) -> bool| arm.outcomes.iter().filter(|o| f(o)).count() as u64;
        Counts {
            variant: arm.variant.clone().unwrap_or_default(),
            units: arm.measured,
            orders: count(|o| o.ordered),
            opted_out: count(|o| o.opted_out),
            removed: count(|o| o.removed),
        }
    }
}

/// The winner and the evidence, or none yet. `variants` are the split's variants in order
/// with their shares (percent); `measured` what attribution found for them (a variant nobody
/// reached has none: no decision).
pub fn pick(
    variants: &[(String, u8)],
    measured: &[Counts],
    min_per_variant: u32,
    window_days: i64,
    config: &ExperimentConfig,
) -> Option<(String, WinnerEvidence)> {
    let arms: Vec<&Counts> = variants
        .iter()
        .map(|(name, _)| measured.iter().find(|c| &c.variant == name && name != HOLDOUT))
        .collect::<Option<_>>()?;
    if arms.len() < 2 || arms.iter().any(|a| a.units < u64::from(min_per_variant)) {
        return None;
    }
    let units: Vec<u64> = arms.iter().map(|a| a.units).collect();
    let weights: Vec<f64> = variants.iter().map(|(_, p)| f64::from(*p)).collect();
    if sample_ratio_mismatch(&units, &weights).is_some_and(|s| s.mismatch) {
        return None;
    }
    let share = |a: &Counts, n: u64| Proportion { n: a.units, conversions: n };
    // Every pair (i < j): j as control, i as treatment.
    let mut pairs: Vec<(usize, usize, Comparison)> = Vec::new();
    for i in 0..arms.len() {
        for j in i + 1..arms.len() {
            let c = compare_proportions(share(arms[j], arms[j].orders), share(arms[i], arms[i].orders), config)?;
            if !c.enough_data {
                return None;
            }
            pairs.push((i, j, c));
        }
    }
    let adjusted = benjamini_hochberg(&pairs.iter().map(|(_, _, c)| c.p_value.unwrap_or(1.0)).collect::<Vec<_>>());
    let winner = (0..arms.len()).find(|&w| {
        pairs.iter().zip(&adjusted).filter(|((i, j, _), _)| *i == w || *j == w).all(|((i, _, c), p)| {
            // Treatment minus control: the winner's side must be the higher one.
            let ahead = if *i == w { c.absolute.estimate > 0.0 } else { c.absolute.estimate < 0.0 };
            ahead && *p < config.alpha
        })
    })?;
    if arms.iter().enumerate().any(|(k, other)| k != winner && harmed(arms[winner], other, config)) {
        return None;
    }
    let rate = |a: &Counts| if a.units == 0 { 0.0 } else { a.orders as f64 / a.units as f64 };
    let against = pairs
        .iter()
        .zip(&adjusted)
        .filter(|((i, j, _), _)| *i == winner || *j == winner)
        .map(|((i, j, c), p)| {
            // Turned round so it always reads winner − other.
            let sign = if *i == winner { 1.0 } else { -1.0 };
            let other = if *i == winner { *j } else { *i };
            let ci = c.absolute.ci.map_or((c.absolute.estimate, c.absolute.estimate), |ci| (ci.low, ci.high));
            let (low, high) = if sign > 0.0 { ci } else { (-ci.1, -ci.0) };
            Against {
                variant: arms[other].variant.clone(),
                difference: sign * c.absolute.estimate,
                ci_low: low,
                ci_high: high,
                p_value: c.p_value.unwrap_or(1.0),
                adjusted_p_value: *p,
            }
        })
        .collect();
    let evidence = WinnerEvidence {
        metric: ORDER_RATE.to_owned(),
        window_days,
        min_per_variant,
        alpha: config.alpha,
        variants: arms
            .iter()
            .map(|a| VariantFigures {
                variant: a.variant.clone(),
                units: a.units,
                conversions: a.orders,
                rate: rate(a),
            })
            .collect(),
        against,
    };
    Some((arms[winner].variant.clone(), evidence))
}

/// The winner is significantly worse than `other` on a guardrail (raw p, as the readout
/// calls guardrails): more opt-outs or more removed contacts.
fn harmed(winner: &Counts, other: &Counts, config: &ExperimentConfig) -> bool {
    [(winner.opted_out, other.opted_out), (winner.removed, other.removed)].into_iter().any(|(w, o)| {
        let c = compare_proportions(
            Proportion { n: other.units, conversions: o },
            Proportion { n: winner.units, conversions: w },
            config,
        );
        c.is_some_and(|c| c.enough_data && c.absolute.estimate > 0.0 && c.p_value.is_some_and(|p| p < config.alpha))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(variant: &str, units: u64, orders: u64) -> Counts {
        Counts { variant: variant.into(), units, orders, opted_out: 0, removed: 0 }
    }

    fn split(names: &[&str]) -> Vec<(String, u8)> {
        names.iter().map(|n| (n.to_string(), (90 / names.len()) as u8)).collect()
    }

    const CONFIG: ExperimentConfig =
        ExperimentConfig { alpha: 0.05, min_units_per_arm: 100, min_conversions_per_arm: 30 };

    #[test]
    fn a_clearly_better_variant_wins_after_the_minimum_not_before() {
        let v = split(&["A", "B"]);
        // 30% against 15%: clear, but below the minimum of 500 each there is no call.
        let small = [counts("A", 400, 120), counts("B", 400, 60)];
        assert_eq!(pick(&v, &small, 500, 7, &CONFIG), None);
        let enough = [counts("A", 600, 180), counts("B", 600, 90), counts(HOLDOUT, 130, 10)];
        let (winner, e) = pick(&v, &enough, 500, 7, &CONFIG).expect("a winner");
        assert_eq!(winner, "A");
        assert_eq!(e.variants.iter().map(|f| (f.units, f.conversions)).collect::<Vec<_>>(), [(600, 180), (600, 90)]);
        let b = &e.against[0];
        assert_eq!(b.variant, "B");
        assert!((b.difference - 0.15).abs() < 1e-9);
        assert!(b.ci_low > 0.0 && b.ci_low < 0.15 && b.ci_high > 0.15);
        assert!(b.adjusted_p_value < 0.05 && b.adjusted_p_value >= b.p_value);
        // The same with B first: the winner is still A, its difference still positive.
        let flipped = [counts("A", 600, 90), counts("B", 600, 180)];
        let (winner, e) = pick(&v, &flipped, 500, 7, &CONFIG).unwrap();
        assert_eq!(winner, "B");
        assert!(e.against[0].difference > 0.0 && e.against[0].ci_low > 0.0);
    }

    #[test]
    fn a_tie_never_picks() {
        let v = split(&["A", "B"]);
        for n in [200, 1_000, 10_000, 100_000] {
            assert_eq!(pick(&v, &[counts("A", n, n / 5), counts("B", n, n / 5)], 100, 7, &CONFIG), None);
        }
    }

    #[test]
    fn three_variants_need_one_ahead_of_both() {
        let v = split(&["A", "B", "C"]);
        // A and B both beat C but not each other: no winner.
        let two_top = [counts("A", 2_000, 600), counts("B", 2_000, 610), counts("C", 2_000, 300)];
        assert_eq!(pick(&v, &two_top, 100, 7, &CONFIG), None);
        let one_top = [counts("A", 2_000, 400), counts("B", 2_000, 700), counts("C", 2_000, 300)];
        let (winner, e) = pick(&v, &one_top, 100, 7, &CONFIG).unwrap();
        assert_eq!(winner, "B");
        assert_eq!(e.against.iter().map(|a| a.variant.as_str()).collect::<Vec<_>>(), ["A", "C"]);
    }

    #[test]
    fn no_call_on_a_broken_split_a_harm_or_a_missing_variant() {
        let v = split(&["A", "B"]);
        // Meant 45/45, got 600/900: assignment is broken.
        assert_eq!(pick(&v, &[counts("A", 600, 200), counts("B", 900, 150)], 100, 7, &CONFIG), None);
        // Better on orders, but many more opt-outs.
        let mut a = counts("A", 1_000, 300);
        a.opted_out = 120;
        let mut b = counts("B", 1_000, 150);
        b.opted_out = 40;
        assert_eq!(pick(&v, &[a.clone(), b.clone()], 100, 7, &CONFIG), None);
        a.opted_out = 45;
        assert_eq!(pick(&v, &[a.clone(), b], 100, 7, &CONFIG).map(|w| w.0), Some("A".into()));
        assert_eq!(pick(&v, &[a], 100, 7, &CONFIG), None);
    }
}
