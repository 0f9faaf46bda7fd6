//! The customer-level summary the models read, computed from purchase times.

/// One customer over a calibration period, in a time unit of the caller's choice (days in
/// Rekindle, weeks in the published CDNOW results).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Customer {
    /// Repeat purchases: purchase periods after the first.
    pub x: f64,
    /// When the last purchase was, counted from the first (0 without repeats).
    pub t_x: f64,
    /// How long the customer has been observed: from the first purchase to the end.
    pub t: f64,
}

impl Customer {
    /// From purchase times (any order, in the unit used throughout) and the end of the
    /// calibration period. Purchases in one `period` (e.g. a day) count once, as the models
    /// assume one purchase occasion per period at most. `None` without a purchase before `end`.
    pub fn from_purchases(times: &[f64], end: f64, period: f64) -> Option<Self> {
        let mut periods: Vec<i64> = times.iter().filter(|t| **t <= end).map(|t| (t / period).floor() as i64).collect();
        periods.sort_unstable();
        periods.dedup();
        let first = *periods.first()? as f64 * period;
        let last = *periods.last()? as f64 * period;
        Some(Self { x: (periods.len() - 1) as f64, t_x: last - first, t: end - first })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_periods_after_the_first() {
        let c = Customer::from_purchases(&[3.2, 3.7, 10.0, 15.5, 40.0], 20.0, 1.0).unwrap();
        assert_eq!(c, Customer { x: 2.0, t_x: 12.0, t: 17.0 }, "3.2 and 3.7 share day 3; 40 is after the end");
        assert_eq!(Customer::from_purchases(&[25.0], 20.0, 1.0), None);
    }
}
