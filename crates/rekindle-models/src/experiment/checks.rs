//! Checks over a whole experiment rather than one metric: whether the arms got the traffic they
//! were meant to (a sample-ratio mismatch means the assignment or the logging is broken, and no
//! figure of the experiment can be trusted), and p-values adjusted for reading many metrics at
//! once.

use serde::Serialize;
use statrs::function::gamma::gamma_ur;

/// A mismatch is flagged below this p-value (GrowthBook's and Statsig's default): with many
/// experiments read daily, a looser threshold would cry wolf.
pub const SRM_P_THRESHOLD: f64 = 0.001;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleRatio {
    pub observed: Vec<u64>,
    /// Units each arm should have had: the total split by the weights.
    pub expected: Vec<f64>,
    pub chi_square: f64,
    pub degrees_of_freedom: u64,
    pub p_value: f64,
    /// p < [`SRM_P_THRESHOLD`].
    pub mismatch: bool,
}

/// Pearson's chi-square goodness of fit of the units per arm against the arms' weights (any
/// scale: 50/50, 1/1 and 0.5/0.5 are the same split), with arms − 1 degrees of freedom. `None`
/// with fewer than two arms, a weight per arm missing, a weight not positive and finite, or no
/// units at all.
pub fn sample_ratio_mismatch(observed: &[u64], weights: &[f64]) -> Option<SampleRatio> {
    if observed.len() < 2 || observed.len() != weights.len() || !weights.iter().all(|w| w.is_finite() && *w > 0.0) {
        return None;
    }
    let total = observed.iter().sum::<u64>() as f64;
    let weight_sum: f64 = weights.iter().sum();
    if total == 0.0 || !weight_sum.is_finite() {
        return None;
    }
    let expected: Vec<f64> = weights.iter().map(|w| total * w / weight_sum).collect();
    let chi_square: f64 = observed.iter().zip(&expected).map(|(o, e)| (*o as f64 - e).powi(2) / e).sum();
    let degrees_of_freedom = observed.len() as u64 - 1;
    // The chi-square survival function: the upper regularised incomplete gamma Q(k/2, χ²/2).
    let p_value = if chi_square > 0.0 { gamma_ur(degrees_of_freedom as f64 / 2.0, chi_square / 2.0) } else { 1.0 };
    let p_value = p_value.clamp(0.0, 1.0);
    Some(SampleRatio {
        observed: observed.to_vec(),
        expected,
        chi_square,
        degrees_of_freedom,
        p_value,
        mismatch: p_value < SRM_P_THRESHOLD,
    })
}

/// Benjamini–Hochberg adjusted p-values, in the input's order: with m p-values ranked
/// p₍₁₎ ≤ … ≤ p₍ₘ₎, p̃₍ᵢ₎ = min over j ≥ i of m·p₍ⱼ₎ / j, capped at 1. Reading the metrics with
/// p̃ < alpha keeps the expected share of false discoveries among them under alpha. A NaN counts
/// as 1 and values outside [0, 1] are clamped into it.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let clean: Vec<f64> = p_values.iter().map(|p| if p.is_nan() { 1.0 } else { p.clamp(0.0, 1.0) }).collect();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| clean[*a].total_cmp(&clean[*b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(clean[i] * m as f64 / (rank + 1) as f64);
        // m·p/m can round a hair under p.
        adjusted[i] = running.max(clean[i]);
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn srm_on_a_fair_and_a_broken_split() {
        // scipy.stats.chisquare([5000, 5000]) → p = 1; ([5000, 5300]) → χ² = 8.7379, p = 0.0031167.
        let fair = sample_ratio_mismatch(&[5000, 5000], &[0.5, 0.5]).unwrap();
        assert_eq!((fair.chi_square, fair.p_value, fair.mismatch), (0.0, 1.0, false));
        let off = sample_ratio_mismatch(&[5000, 5300], &[1.0, 1.0]).unwrap();
        assert!((off.chi_square - 8.737864077669903).abs() < 1e-9);
        assert!((off.p_value - 0.003116693839866867).abs() < 1e-12, "{}", off.p_value);
        assert!(!off.mismatch);
        let broken = sample_ratio_mismatch(&[5000, 5600], &[1.0, 1.0]).unwrap();
        assert!(broken.mismatch);
        assert_eq!(sample_ratio_mismatch(&[0, 0], &[1.0, 1.0]), None);
        assert_eq!(sample_ratio_mismatch(&[10], &[1.0]), None);
        assert_eq!(sample_ratio_mismatch(&[10, 10], &[1.0, 0.0]), None);
        assert_eq!(sample_ratio_mismatch(&[10, 10], &[1.0]), None);
    }

    #[test]
    fn bh_by_hand() {
        // Ranked 0.01, 0.03, 0.04, 0.5: m·p/rank = 0.04, 0.06, 0.0533, 0.5; the running minimum
        // from the top makes 0.06 → 0.0533.
        let adjusted = benjamini_hochberg(&[0.04, 0.01, 0.5, 0.03]);
        let expected = [0.0533333333, 0.04, 0.5, 0.0533333333];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-9, "{adjusted:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
        assert_eq!(benjamini_hochberg(&[f64::NAN, 2.0, -1.0]), vec![1.0, 1.0, 0.0]);
    }

    proptest! {
        #[test]
        fn bh_is_monotone_at_least_raw_and_at_most_one(p in prop::collection::vec(0.0f64..=1.0, 0..40)) {
            let adjusted = benjamini_hochberg(&p);
            prop_assert_eq!(adjusted.len(), p.len());
            let mut order: Vec<usize> = (0..p.len()).collect();
            order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
            for w in order.windows(2) {
                prop_assert!(adjusted[w[0]] <= adjusted[w[1]]);
            }
            for (raw, adj) in p.iter().zip(&adjusted) {
                prop_assert!(adj >= raw && *adj <= 1.0);
            }
        }
    }
}
