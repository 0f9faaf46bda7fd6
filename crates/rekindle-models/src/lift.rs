//! How much better a treated group converted than its holdout: the difference of two
//! proportions with a 95% (Wald) interval and a two-sided p-value from the pooled z-test.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lift {
    pub treated_rate: f64,
    pub holdout_rate: f64,
    /// treated − holdout, in rate points.
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// difference / holdout rate; none when the holdout never converted.
    pub relative: Option<f64>,
    pub p_value: f64,
}

/// `None` unless both groups have someone in them.
pub fn lift(treated: (u64, u64), holdout: (u64, u64)) -> Option<Lift> {
    let ((n1, c1), (n2, c2)) = (treated, holdout);
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (p1, p2) = (c1 as f64 / n1f, c2 as f64 / n2f);
    let difference = p1 - p2;
    let se = (p1 * (1.0 - p1) / n1f + p2 * (1.0 - p2) / n2f).sqrt();
    let normal = Normal::standard();
    let z95 = normal.inverse_cdf(0.975);
    let pooled = (c1 + c2) as f64 / (n1f + n2f);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    let p_value = if se_pooled > 0.0 { 2.0 * (1.0 - normal.cdf((difference / se_pooled).abs())) } else { 1.0 };
    Some(Lift {
        treated_rate: p1,
        holdout_rate: p2,
        difference,
        ci_low: difference - z95 * se,
        ci_high: difference + z95 * se,
        relative: (p2 > 0.0).then(|| difference / p2),
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_lift_and_no_lift() {
        // 12% of 1,000 against 8% of 1,000: z ≈ 2.98, p ≈ 0.0029.
        let l = lift((1000, 120), (1000, 80)).unwrap();
        assert!((l.difference - 0.04).abs() < 1e-12);
        assert!((l.relative.unwrap() - 0.5).abs() < 1e-12);
        assert!((l.p_value - 0.00286).abs() < 2e-4, "{}", l.p_value);
        assert!(l.ci_low > 0.0 && l.ci_high < 0.08);
        let same = lift((500, 50), (500, 50)).unwrap();
        assert!((same.p_value - 1.0).abs() < 1e-9);
        assert_eq!(lift((10, 1), (0, 0)), None);
        assert_eq!(lift((10, 1), (10, 0)).unwrap().relative, None);
    }
}
