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
    let cuts = Cuts::of(people);
    people.iter().map(|p| cuts.score(p)).collect()
}

/// The three axes' quintile cuts among buyers. Each axis is cut on its own, so a refresh
/// cuts them on several threads at once ([`Quintiles::of`]).
pub struct Cuts {
    pub recency: Quintiles,
    pub frequency: Quintiles,
    pub money: Quintiles,
}

impl Cuts {
    pub fn of(people: &[Option<Buyer>]) -> Self {
        Self {
            recency: Quintiles::of(people, Axis::Recency),
            frequency: Quintiles::of(people, Axis::Frequency),
            money: Quintiles::of(people, Axis::Money),
        }
    }

    /// One person's scores; `None` (never ordered) scores zeros.
    pub fn score(&self, person: &Option<Buyer>) -> Rfm {
        match person {
            Some(b) => Rfm {
                r: self.recency.score(Axis::Recency.value(b)),
                f: self.frequency.score(Axis::Frequency.value(b)),
                m: self.money.score(Axis::Money.value(b)),
            },
            None => Rfm::default(),
        }
    }
}

/// One of the three things a buyer is ranked on, as a value where higher is better.
#[derive(Debug, Clone, Copy)]
pub enum Axis {
    Recency,
    Frequency,
    Money,
}

impl Axis {
    fn value(self, b: &Buyer) -> f64 {
        match self {
            Self::Recency => -b.days_since_order,
            Self::Frequency => b.orders as f64,
            Self::Money => b.spend as f64,
        }
    }
}

/// The lowest value that earns each score from 5 down to 2 (higher values are better).
pub struct Quintiles([f64; 4]);

impl Quintiles {
    /// The cuts of one axis among the buyers of `people`.
    pub fn of(people: &[Option<Buyer>], axis: Axis) -> Self {
        let mut values: Vec<f64> = people.iter().flatten().map(|b| axis.value(b)).collect();
        // The value at each rank, highest first, without sorting everyone: a refresh ranks a
        // million buyers.
        Self(cuts(&mut values, [0.2, 0.4, 0.6, 0.8], |a, b| b.total_cmp(a)).map(|c| c.unwrap_or(f64::INFINITY)))
    }

    fn score(&self, v: f64) -> u8 {
        match self.0.iter().position(|cut| v >= *cut) {
            Some(i) => 5 - i as u8,
            None => 1,
        }
    }
}

/// The values at the ranks `shares` of the way down `values` in `order`, `None` past the end.
/// A selection leaves the ranks above it in front, so the next (lower) one looks only behind
/// it: the four quintile cuts cost about two passes over the values, not four.
pub(crate) fn cuts<T: Copy, const N: usize>(
    values: &mut [T],
    shares: [f64; N],
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> [Option<T>; N] {
    let n = values.len();
    // `values[..settled]` are in place: ranked above every cut still to find.
    let mut settled = 0;
    shares.map(|share| {
        let k = ((n as f64 * share).ceil() as usize).saturating_sub(1);
        if k >= n {
            return None;
        }
        if k < settled {
            // A share above one already cut (or the same rank again): among the front.
            return Some(*values[..settled].select_nth_unstable_by(k, &order).1);
        }
        let found = *values[settled..].select_nth_unstable_by(k - settled, &order).1;
        settled = k + 1;
        Some(found)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buyer(days: f64, orders: usize, spend: i64) -> Option<Buyer> {
        Some(Buyer { days_since_order: days, orders, spend })
    }

    proptest::proptest! {
        #[test]
        fn cuts_are_the_values_at_their_ranks(
            values in proptest::collection::vec(-50i64..50, 0..200),
            shares in proptest::collection::vec(0.0f64..1.2, 4),
        ) {
            let mut sorted = values.clone();
            sorted.sort_by(|a, b| b.cmp(a));
            let shares = [shares[0], shares[1], shares[2], shares[3]];
            let mut scratch = values.clone();
            let found = cuts(&mut scratch, shares, |a, b| b.cmp(a));
            for (share, found) in shares.into_iter().zip(found) {
                let k = ((values.len() as f64 * share).ceil() as usize).saturating_sub(1);
                proptest::prop_assert_eq!(found, sorted.get(k).copied(), "share {}", share);
            }
        }
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
