//! When a person runs out of what they bought: their own pace through a category (days per
//! pack, from the gaps between their purchases and how much each bought), shrunk toward the
//! category's typical pace, times how much they bought last.

/// Pseudo-observations the category's pace counts for: with one purchase of their own, a
/// person is two-thirds the category, with ten, a sixth.
const PRIOR_WEIGHT: f64 = 2.0;
/// Spread assumed before a person's own gaps say otherwise (a pack lasts ±15%).
const PRIOR_SPREAD: f64 = 0.15;
/// The interval covers 80%: ±1.28 standard deviations.
const Z80: f64 = 1.28;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Depletion {
    /// Days from the last purchase until it is expected to run out.
    pub days: f64,
    /// An 80% interval around it.
    pub low_days: f64,
    pub high_days: f64,
}

/// `paces`: the person's days per pack over each gap between purchases of the category (the
/// gap divided by the packs bought at its start); `prior_pace`: the category's days per pack;
/// `packs_last`: packs bought in the last purchase.
pub fn depletion(paces: &[f64], prior_pace: f64, packs_last: f64) -> Depletion {
    let paces: Vec<f64> = paces.iter().copied().filter(|p| p.is_finite() && *p > 0.0).collect();
    let n = paces.len() as f64;
    let pace = (paces.iter().sum::<f64>() + PRIOR_WEIGHT * prior_pace) / (n + PRIOR_WEIGHT);
    let own_spread = if paces.len() >= 2 {
        let mean = paces.iter().sum::<f64>() / n;
        let var = paces.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / (n - 1.0);
        var.sqrt() / mean
    } else {
        PRIOR_SPREAD
    };
    let spread = (n * own_spread + PRIOR_WEIGHT * PRIOR_SPREAD) / (n + PRIOR_WEIGHT);
    let days = pace * packs_last.max(1.0);
    Depletion { days, low_days: (days * (1.0 - Z80 * spread)).max(days * 0.2), high_days: days * (1.0 + Z80 * spread) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_toward_the_category_and_scales_with_packs() {
        let no_history = depletion(&[], 7.0, 1.0);
        assert_eq!(no_history.days, 7.0);
        let slow = depletion(&[14.0, 14.0, 14.0, 14.0, 14.0, 14.0, 14.0, 14.0], 7.0, 1.0);
        assert!((slow.days - 12.6).abs() < 1e-9, "eight gaps of 14 against a prior of 7: {}", slow.days);
        assert_eq!(depletion(&[], 7.0, 3.0).days, 21.0, "three packs last three times as long");
        let steady = depletion(&[10.0; 8], 10.0, 1.0);
        let erratic = depletion(&[4.0, 16.0, 6.0, 14.0, 5.0, 15.0, 8.0, 12.0], 10.0, 1.0);
        assert!(erratic.high_days - erratic.low_days > steady.high_days - steady.low_days);
        assert!(steady.low_days < steady.days && steady.days < steady.high_days);
    }
}
