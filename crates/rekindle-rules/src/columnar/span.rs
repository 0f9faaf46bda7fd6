//! Turning "key(x) op v" over a column's values into a range of stored values.
//!
//! Every columnar comparison is a monotone key of the stored value (a count as `f64`, days
//! since a time, whether a time is in a window) compared with a constant. A monotone key makes
//! the values that satisfy `>=`, `>`, `<`, `<=` and `=` one range of stored values (and `!=`
//! its complement), so a binary search with the exact key finds the range's ends and the
//! filter is two integer comparisons per row that agree with the key by construction: no
//! rounding or unit is derived a second time.

use crate::ast::Op;

/// The stored values `lo..=hi` (none when `lo > hi`), or every other value when `negate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub lo: i64,
    pub hi: i64,
    pub negate: bool,
}

impl Span {
    pub const NONE: Span = Span { lo: 1, hi: 0, negate: false };

    pub fn holds(&self, x: i64) -> bool {
        (self.lo <= x && x <= self.hi) != self.negate
    }

    fn negated(self) -> Span {
        Span { negate: !self.negate, ..self }
    }
}

/// The first `x` in `lo..=hi` where `p` holds, for a `p` that is false and then true.
pub(crate) fn first_true(lo: i64, hi: i64, p: impl Fn(i64) -> bool) -> Option<i64> {
    if lo > hi || !p(hi) {
        return None;
    }
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let mid = (i128::from(a) + (i128::from(b) - i128::from(a)) / 2) as i64;
        if p(mid) { b = mid } else { a = mid + 1 }
    }
    Some(a)
}

/// The stored values in `lo..=hi` where `op.holds(key(x), v)`, for a key that never
/// decreases (`rising`) or never increases as `x` grows, and is never NaN.
pub(crate) fn span(op: Op, v: f64, (lo, hi): (i64, i64), rising: bool, key: impl Fn(i64) -> f64) -> Span {
    if v.is_nan() {
        // Nothing compares with NaN but `!=`.
        return if op == Op::Ne { Span { lo, hi, negate: false } } else { Span::NONE };
    }
    // The values where key >= v (strict: key > v): a suffix when the key rises, else a prefix.
    let half = |strict: bool| {
        let at_least = |x: i64| if strict { key(x) > v } else { key(x) >= v };
        if rising {
            first_true(lo, hi, at_least).map_or(Span::NONE, |a| Span { lo: a, hi, negate: false })
        } else {
            match first_true(lo, hi, |x| !at_least(x)) {
                None => Span { lo, hi, negate: false },
                Some(a) if a == lo => Span::NONE,
                Some(a) => Span { lo, hi: a - 1, negate: false },
            }
        }
    };
    match op {
        Op::Ge => half(false),
        Op::Gt => half(true),
        // Over non-NaN keys, `<` is "not >=" and `<=` is "not >".
        Op::Lt => half(false).negated(),
        Op::Le => half(true).negated(),
        Op::Eq | Op::Ne => {
            // key = v: at least v, and not more than v.
            let (ge, gt) = (half(false), half(true));
            let eq = if ge.lo > ge.hi {
                Span::NONE
            } else if gt.lo > gt.hi {
                ge
            } else if rising {
                // More than v starts where at least v does: nothing equals v.
                if gt.lo <= ge.lo { Span::NONE } else { Span { lo: ge.lo, hi: gt.lo - 1, negate: false } }
            } else if gt.hi >= ge.hi {
                Span::NONE
            } else {
                Span { lo: gt.hi + 1, hi: ge.hi, negate: false }
            };
            if op == Op::Ne { eq.negated() } else { eq }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const OPS: [Op; 6] = [Op::Lt, Op::Le, Op::Eq, Op::Ne, Op::Ge, Op::Gt];

    #[test]
    fn first_true_finds_the_switch_at_the_ends_too() {
        assert_eq!(first_true(i64::MIN, i64::MAX, |x| x >= 0), Some(0));
        assert_eq!(first_true(i64::MIN, i64::MAX, |_| true), Some(i64::MIN));
        assert_eq!(first_true(i64::MIN, i64::MAX, |x| x == i64::MAX), Some(i64::MAX));
        assert_eq!(first_true(i64::MIN, i64::MAX, |_| false), None);
        assert_eq!(first_true(3, 2, |_| true), None);
    }

    proptest! {
        /// Over a small domain, the span holds exactly where the key compares, for rising and
        /// falling keys with flat stretches (integer division) and values between keys.
        #[test]
        fn the_span_is_where_the_key_compares(div in 1i64..7, offset in -20i64..20, v in -30.0f64..30.0, half in any::<bool>()) {
            let v = if half { (v * 2.0).round() / 2.0 } else { v.round() };
            for rising in [true, false] {
                let key = |x: i64| {
                    let k = (x + offset).div_euclid(div) as f64;
                    if rising { k } else { -k }
                };
                for op in OPS {
                    let s = span(op, v, (-50, 50), rising, key);
                    for x in -50..=50 {
                        prop_assert_eq!(s.holds(x), op.holds(key(x), v), "{:?} {} at {} ({:?})", op, v, x, s);
                    }
                }
            }
        }
    }

    #[test]
    fn nan_matches_only_not_equal_and_infinities_are_ordinary() {
        for op in OPS {
            let s = span(op, f64::NAN, (0, 9), true, |x| x as f64);
            assert!((0..=9).all(|x| s.holds(x) == (op == Op::Ne)));
            let s = span(op, f64::INFINITY, (0, 9), true, |x| if x == 9 { f64::INFINITY } else { x as f64 });
            assert!(
                (0..=9).all(|x| s.holds(x) == op.holds(if x == 9 { f64::INFINITY } else { x as f64 }, f64::INFINITY))
            );
        }
    }
}
