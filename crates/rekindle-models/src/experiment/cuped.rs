//! CUPED (Deng et al. 2013): what a person spent before the experiment predicts much of what
//! they spend during it, and randomisation makes that part the same in both arms on average, so
//! taking it out of each arm's mean removes noise without moving the effect. As in gbstats's
//! regression adjustment, θ is the slope of post on pre over both arms pooled (one θ for both, so
//! the adjustment cannot favour an arm), and each arm's adjusted variance is that of y − θx.

use serde::{Deserialize, Serialize};

use super::compare::{Arm, Comparison, compare, compare_means, few_units};
use super::{ExperimentConfig, MeanStats};

/// Per-unit pairs (x: the pre-period value, y: the value during the experiment) over one arm,
/// as sums so callers aggregate in one pass. A unit with no pre-period activity has x = 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CupedStats {
    pub n: u64,
    pub sum_x: f64,
    pub sum_y: f64,
    pub sum_x2: f64,
    pub sum_y2: f64,
    pub sum_xy: f64,
}

impl CupedStats {
    pub fn push(&mut self, x: f64, y: f64) {
        self.n += 1;
        self.sum_x += x;
        self.sum_y += y;
        self.sum_x2 += x * x;
        self.sum_y2 += y * y;
        self.sum_xy += x * y;
    }

    pub fn pre(&self) -> MeanStats {
        MeanStats { n: self.n, sum: self.sum_x, sum_squares: self.sum_x2 }
    }

    pub fn post(&self) -> MeanStats {
        MeanStats { n: self.n, sum: self.sum_y, sum_squares: self.sum_y2 }
    }

    /// The sample covariance of x and y (n − 1); `None` under two units.
    pub fn covariance(&self) -> Option<f64> {
        (self.n > 1).then(|| {
            let n = self.n as f64;
            (self.sum_xy - self.sum_x * self.sum_y / n) / (n - 1.0)
        })
    }

    fn pooled(&self, other: &Self) -> Self {
        CupedStats {
            n: self.n + other.n,
            sum_x: self.sum_x + other.sum_x,
            sum_y: self.sum_y + other.sum_y,
            sum_x2: self.sum_x2 + other.sum_x2,
            sum_y2: self.sum_y2 + other.sum_y2,
            sum_xy: self.sum_xy + other.sum_xy,
        }
    }

    fn is_finite(&self) -> bool {
        [self.sum_x, self.sum_y, self.sum_x2, self.sum_y2, self.sum_xy].iter().all(|v| v.is_finite())
    }
}

/// The CUPED-adjusted comparison beside the plain one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CupedComparison {
    /// Pooled cov(x, y) / var(x); 0 when x or y does not vary.
    pub theta: f64,
    /// Means adjusted to the pooled pre-period mean: ȳ − θ(x̄ − x̄ pooled). The relative lift
    /// divides the adjusted difference by the control's unadjusted mean, as gbstats does.
    pub adjusted: Comparison,
    pub unadjusted: Comparison,
    /// 1 − Var(adjusted difference) / Var(plain difference): the share of the noise taken out;
    /// none when the plain difference has no variance.
    pub variance_reduction: Option<f64>,
}

/// `None` unless both arms have two units and the sums are finite.
pub fn compare_cuped(
    control: &CupedStats,
    treatment: &CupedStats,
    config: &ExperimentConfig,
) -> Option<CupedComparison> {
    if !control.is_finite() || !treatment.is_finite() {
        return None;
    }
    let unadjusted = compare_means(&control.post(), &treatment.post(), config)?;
    let pooled = control.pooled(treatment);
    let theta = theta(&pooled)?;
    let pooled_x = pooled.pre().mean()?;
    let adjust = |arm: &CupedStats| -> Option<(Arm, Arm, f64)> {
        let (pre, post) = (Arm::from_stats(&arm.pre())?, Arm::from_stats(&arm.post())?);
        let covariance = arm.covariance()?;
        let variance = (post.variance + theta * theta * pre.variance - 2.0 * theta * covariance).max(0.0);
        let adjusted = Arm { n: post.n, mean: post.mean - theta * (pre.mean - pooled_x), variance };
        Some((adjusted, post, covariance))
    };
    let (c, c_post, c_cov) = adjust(control)?;
    let (t, t_post, _) = adjust(treatment)?;
    let c_pre = Arm::from_stats(&control.pre())?;
    // The delta method on (t̄_adj − c̄_adj) / ȳ_c: the treatment's adjusted mean enters through
    // 1/ȳ_c; the control's ȳ_c enters both the numerator and the denominator, x̄_c the numerator
    // (its gradient (−ȳ_t/ȳ_c², θ/ȳ_c), as gbstats takes it).
    let relative = (c_post.mean != 0.0).then(|| {
        let m = c_post.mean;
        let estimate = (t.mean - c.mean) / m;
        let v_treatment = t.variance / (t.n * m * m);
        let ratio = t_post.mean / m;
        let v_control = (c_post.variance * ratio * ratio - 2.0 * theta * c_cov * ratio
            + theta * theta * c_pre.variance)
            / (c.n * m * m);
        (estimate, (v_treatment + v_control).max(0.0))
    });
    let adjusted = compare(c, t, relative, few_units(control.n, treatment.n, config), config.alpha)?;
    let plain = c_post.variance / c_post.n + t_post.variance / t_post.n;
    let reduced = c.variance / c.n + t.variance / t.n;
    let variance_reduction = (plain > 0.0).then(|| 1.0 - reduced / plain).filter(|v| v.is_finite());
    Some(CupedComparison { theta, adjusted, unadjusted, variance_reduction })
}

/// The OLS slope of y on x over both arms pooled; 0 when x or y does not vary.
fn theta(pooled: &CupedStats) -> Option<f64> {
    let (var_x, var_y) = (pooled.pre().variance()?, pooled.post().variance()?);
    if var_x == 0.0 || var_y == 0.0 {
        return Some(0.0);
    }
    let theta = pooled.covariance()? / var_x;
    theta.is_finite().then_some(theta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(pairs: impl Iterator<Item = (f64, f64)>) -> CupedStats {
        let mut s = CupedStats::default();
        pairs.for_each(|(x, y)| s.push(x, y));
        s
    }

    #[test]
    fn a_perfect_predictor_leaves_only_the_effect() {
        // y = x + 5 in the treatment, y = x in the control: CUPED sees the 5 with no noise left.
        let c = arm((0..200).map(|i| (i as f64, i as f64)));
        let t = arm((0..200).map(|i| (i as f64, i as f64 + 5.0)));
        let r = compare_cuped(&c, &t, &ExperimentConfig::default()).unwrap();
        assert!((r.theta - 1.0).abs() < 1e-9, "{}", r.theta);
        assert!((r.adjusted.absolute.estimate - 5.0).abs() < 1e-9);
        assert!(r.adjusted.absolute.ci.is_none_or(|ci| ci.high - ci.low < 1e-6));
        assert!(r.variance_reduction.unwrap() > 0.999);
        assert!(r.unadjusted.p_value.unwrap() > 0.1);
    }

    #[test]
    fn no_pre_period_variation_means_no_adjustment() {
        let c = arm((0..150).map(|i| (3.0, (i % 7) as f64)));
        let t = arm((0..150).map(|i| (3.0, (i % 5) as f64)));
        let r = compare_cuped(&c, &t, &ExperimentConfig::default()).unwrap();
        assert_eq!(r.theta, 0.0);
        assert_eq!(r.adjusted.p_value, r.unadjusted.p_value);
        assert!((r.variance_reduction.unwrap()).abs() < 1e-12);
        let relative = |c: &Comparison| c.relative.unwrap().ci.unwrap();
        assert!((relative(&r.adjusted).low - relative(&r.unadjusted).low).abs() < 1e-12);
    }

    #[test]
    fn empty_arms_and_zero_controls() {
        let t = arm((0..150).map(|i| (i as f64, (i % 5) as f64)));
        assert_eq!(compare_cuped(&CupedStats::default(), &t, &ExperimentConfig::default()), None);
        let zero = arm((0..150).map(|i| (i as f64, 0.0)));
        let r = compare_cuped(&zero, &t, &ExperimentConfig::default()).unwrap();
        assert_eq!(r.adjusted.relative, None);
        assert!(r.adjusted.p_value.is_some_and(|p| (0.0..=1.0).contains(&p)));
    }
}
