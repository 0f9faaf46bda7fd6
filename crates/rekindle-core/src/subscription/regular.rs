//! Whom to offer a subscription: a person whose own repurchase cycle of a product (or a
//! category) is regular enough that a fixed cadence would fit it.
//!
//! The rule:
//! 1. purchases are counted by store day (two orders on one day are one purchase);
//! 2. at least [`Regularity::min_intervals`] intervals between them (default 3, so four
//!    purchase days): fewer say nothing about a rhythm;
//! 3. the coefficient of variation of the intervals (sample standard deviation ÷ mean) is at
//!    most [`Regularity::max_cv`] (default 0.35: a 10-day habit varying by about ±3 days);
//! 4. the cadence offered is the median interval rounded to a whole day (halves up), between
//!    1 and 365 days. The median, not the mean, so one long holiday gap does not stretch it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::plan::MAX_EVERY_DAYS;
use crate::calendar::Calendar;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = RepurchaseRegularity))]
#[serde(deny_unknown_fields, default)]
pub struct Regularity {
    pub min_intervals: usize,
    pub max_cv: f64,
}

impl Default for Regularity {
    fn default() -> Self {
        Self { min_intervals: 3, max_cv: 0.35 }
    }
}

/// What a person's purchases say about their cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = RepurchaseCycle))]
pub struct Cycle {
    /// Intervals between distinct purchase days.
    pub intervals: usize,
    pub median_days: Option<f64>,
    pub mean_days: Option<f64>,
    /// Coefficient of variation; `None` with fewer than two intervals.
    pub cv: Option<f64>,
    /// The cadence to offer, when the cycle is regular enough.
    pub offer_every_days: Option<u16>,
}

/// Read the cycle of `purchases` (any order) in the store's days.
pub fn cycle(purchases: &[DateTime<Utc>], tz: Tz, rule: &Regularity) -> Cycle {
    let cal = Calendar::new(tz);
    let mut days: Vec<i64> = purchases.iter().map(|t| cal.day_number(*t)).collect();
    days.sort_unstable();
    days.dedup();
    let mut gaps: Vec<f64> = days.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    gaps.sort_by(f64::total_cmp);
    let n = gaps.len();
    let mean = (n > 0).then(|| gaps.iter().sum::<f64>() / n as f64);
    let median = (n > 0).then(|| if n % 2 == 1 { gaps[n / 2] } else { (gaps[n / 2 - 1] + gaps[n / 2]) / 2.0 });
    let cv = mean.filter(|_| n >= 2).map(|m| {
        let var = gaps.iter().map(|g| (g - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        var.sqrt() / m
    });
    let regular = n >= rule.min_intervals.max(1) && cv.is_some_and(|cv| cv <= rule.max_cv);
    let offer_every_days =
        median.filter(|_| regular).map(|m| (m + 0.5).floor().clamp(1.0, f64::from(MAX_EVERY_DAYS)) as u16);
    Cycle { intervals: n, median_days: median, mean_days: mean, cv, offer_every_days }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn on(days: &[i64]) -> Vec<DateTime<Utc>> {
        let base: DateTime<Utc> = "2027-01-01T02:00:00Z".parse().unwrap();
        days.iter().map(|d| base + Duration::days(*d)).collect()
    }

    #[test]
    fn a_steady_buyer_is_offered_their_own_median_cycle() {
        let c = cycle(&on(&[0, 7, 14, 22, 29]), SHANGHAI, &Regularity::default());
        assert_eq!((c.intervals, c.median_days, c.offer_every_days), (4, Some(7.0), Some(7)));
        assert!(c.cv.unwrap() < 0.1);
        // Halves round up: intervals 10, 11, 10, 11 have median 10.5.
        assert_eq!(cycle(&on(&[0, 10, 21, 31, 42]), SHANGHAI, &Regularity::default()).offer_every_days, Some(11));
    }

    #[test]
    fn too_few_or_too_irregular_purchases_get_no_offer() {
        let three = cycle(&on(&[0, 7, 14]), SHANGHAI, &Regularity::default());
        assert_eq!((three.intervals, three.offer_every_days), (2, None));
        let erratic = cycle(&on(&[0, 3, 30, 33, 70]), SHANGHAI, &Regularity::default());
        assert!(erratic.cv.unwrap() > 0.35);
        assert_eq!(erratic.offer_every_days, None);
        assert_eq!(cycle(&[], SHANGHAI, &Regularity::default()).median_days, None);
    }

    #[test]
    fn purchases_are_counted_by_store_day_in_any_order() {
        // Two orders the same Shanghai day (09:00 and 23:30 local) are one purchase.
        let mut ts = on(&[0, 7, 14, 21]);
        ts.push("2027-01-01T15:30:00Z".parse().unwrap());
        ts.reverse();
        let c = cycle(&ts, SHANGHAI, &Regularity::default());
        assert_eq!((c.intervals, c.offer_every_days), (3, Some(7)));
        // In New York 02:00 UTC is the evening before: same gaps, same offer.
        assert_eq!(cycle(&ts, chrono_tz::America::New_York, &Regularity::default()).intervals, 4);
    }
}
