//! RFM scores: recency, frequency and monetary value, each 1–5 by quintile among buyers.
//!
//! 5 is best on every axis (most recent, most orders, most spend). People who never ordered
//! score 0 on all three, so "rfm_r >= 1" means "has ordered". Ties share the better score,
//! as value tiers do.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rfm {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// What a buyer brings to the scores.
#[derive(Debug, Clone, Copy)]
pub struct Buyer {
    /// Days since the last order (fewer is better).
    pub days_since_order: f64,
    pub orders: usize,
    /// Spend in fen.
    pub spend: i64,
}

/// One score per input, in input order; `None` (never ordered) scores zeros.
pub fn score(people: &[Option<Buyer>]) -> Vec<Rfm> {
    let buyers: Vec<&Buyer> = people.iter().flatten().collect();
    let recency = Quintiles::of(buyers.iter().map(|b| -b.days_since_order).collect());
    let frequency = Quintiles::of(buyers.iter().map(|b| b.orders as f64).collect());
    let money = Quintiles::of(buyers.iter().map(|b| b.spend as f64).collect());
    people
        .iter()
        .map(|p| match p {
            Some(b) => Rfm {
                r: recency.score(-b.days_since_order),
                f: frequency.score(b.orders as f64),
                m: money.score(b.spend as f64),
            },
            None => Rfm::default(),
        })
        .collect()
}

/// The lowest value that earns each score from 5 down to 2 (higher values are better).
struct Quintiles([f64; 4]);

impl Quintiles {
    fn of(mut values: Vec<f64>) -> Self {
        let n = values.len();
        // The value at each rank, highest first, without sorting everyone: a refresh ranks a
        // million buyers.
        let mut cut = |share: f64| {
            let k = ((n as f64 * share).ceil() as usize).saturating_sub(1);
            if k < n { *values.select_nth_unstable_by(k, |a, b| b.total_cmp(a)).1 } else { f64::INFINITY }
        };
        Self([cut(0.2), cut(0.4), cut(0.6), cut(0.8)])
    }

    fn score(&self, v: f64) -> u8 {
        match self.0.iter().position(|cut| v >= *cut) {
            Some(i) => 5 - i as u8,
            None => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buyer(days: f64, orders: usize, spend: i64) -> Option<Buyer> {
        Some(Buyer { days_since_order: days, orders, spend })
    }

    #[test]
    fn ten_buyers_fall_two_to_a_quintile() {
        let people: Vec<_> = (0..10).map(|i| buyer(i as f64, 10 - i, (10 - i) as i64 * 100)).collect();
        let scores = score(&people);
        let r: Vec<u8> = scores.iter().map(|s| s.r).collect();
        assert_eq!(r, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        assert_eq!(scores.iter().map(|s| s.f).collect::<Vec<_>>(), r);
        assert_eq!(scores.iter().map(|s| s.m).collect::<Vec<_>>(), r);
    }

    #[test]
    fn non_buyers_score_zero_and_do_not_shift_buyers() {
        let scores = score(&[None, buyer(1.0, 3, 500), None]);
        assert_eq!(scores[0], Rfm::default());
        assert_eq!(scores[1], Rfm { r: 5, f: 5, m: 5 });
    }

    #[test]
    fn ties_share_the_better_score() {
        let scores = score(&[buyer(3.0, 1, 100), buyer(3.0, 1, 100), buyer(3.0, 1, 100)]);
        assert!(scores.iter().all(|s| *s == Rfm { r: 5, f: 5, m: 5 }));
    }
}
