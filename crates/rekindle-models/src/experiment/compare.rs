//! One metric, treatment against control: Welch's t-test on the difference of the means, and the
//! relative lift with a delta-method interval, as GrowthBook's frequentist engine computes them.
//! A proportion is the mean of 0/1 values and goes through the same test (as gbstats does), so
//! every metric's figures mean the same thing.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};
use statrs::function::beta::beta_reg;

use super::{Effect, ExperimentConfig, Interval, TooSmall};

/// A mean metric's sums over one arm, so callers aggregate in one pass: units, Σ value,
/// Σ value². Values are per unit (revenue in fen per person, orders per person…).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanStats {
    pub n: u64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl MeanStats {
    pub fn from_values(values: &[f64]) -> Self {
        let mut stats = Self::default();
        values.iter().for_each(|v| stats.push(*v));
        stats
    }

    pub fn push(&mut self, value: f64) {
        self.n += 1;
        self.sum += value;
        self.sum_squares += value * value;
    }

    /// `None` for an empty arm.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sample variance (n − 1), never below 0 (the sums can round a constant's just under);
    /// `None` under two units.
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| {
            let n = self.n as f64;
            ((self.sum_squares - self.sum * self.sum / n) / (n - 1.0)).max(0.0)
        })
    }

    fn is_finite(&self) -> bool {
        self.sum.is_finite() && self.sum_squares.is_finite()
    }
}

/// A proportion metric over one arm: units, and how many of them converted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proportion {
    pub n: u64,
    pub conversions: u64,
}

impl Proportion {
    /// The same numbers as 0/1 values: Σx = Σx² = conversions.
    pub fn as_mean(&self) -> MeanStats {
        MeanStats { n: self.n, sum: self.conversions as f64, sum_squares: self.conversions as f64 }
    }
}

/// Treatment against control on one metric. Every figure is finite: what cannot be computed is
/// `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    pub control_mean: f64,
    pub treatment_mean: f64,
    /// The sample variance (n − 1) of a unit's value in each arm (of y − θx under CUPED).
    pub control_variance: f64,
    pub treatment_variance: f64,
    /// treatment − control, with its (1 − alpha) Welch interval; the interval is none when
    /// neither arm varies.
    pub absolute: Effect,
    /// treatment / control − 1 with a delta-method interval; none when the control mean is 0.
    pub relative: Option<Effect>,
    /// Two-sided Welch t-test of treatment − control = 0; none when neither arm varies.
    pub p_value: Option<f64>,
    /// Welch–Satterthwaite degrees of freedom.
    pub degrees_of_freedom: Option<f64>,
    /// p < alpha.
    pub significant: bool,
    /// False when the comparison is too small to conclude (`too_small` says why).
    pub enough_data: bool,
    pub too_small: Option<TooSmall>,
}

/// A mean metric. `None` unless both arms have two units (a variance needs two) and finite sums.
pub fn compare_means(control: &MeanStats, treatment: &MeanStats, config: &ExperimentConfig) -> Option<Comparison> {
    let (c, t) = (Arm::from_stats(control)?, Arm::from_stats(treatment)?);
    compare(c, t, relative_plain(c, t), few_units(control.n, treatment.n, config), config.alpha)
}

/// A proportion metric. `None` unless both arms have two units and no more conversions than
/// units.
pub fn compare_proportions(
    control: Proportion,
    treatment: Proportion,
    config: &ExperimentConfig,
) -> Option<Comparison> {
    if control.conversions > control.n || treatment.conversions > treatment.n {
        return None;
    }
    let (c, t) = (Arm::from_stats(&control.as_mean())?, Arm::from_stats(&treatment.as_mean())?);
    let too_small = few_units(control.n, treatment.n, config).or_else(|| {
        // The normal approximation needs enough of both outcomes in each arm.
        let fewest = [control, treatment].iter().map(|p| p.conversions.min(p.n - p.conversions)).min()?;
        (fewest < config.min_conversions_per_arm)
            .then_some(TooSmall::FewConversions { fewest, needed: config.min_conversions_per_arm })
    });
    compare(c, t, relative_plain(c, t), too_small, config.alpha)
}

/// One arm as the test sees it: units, the mean of their (possibly adjusted) values and the
/// sample variance of those values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arm {
    pub n: f64,
    pub mean: f64,
    pub variance: f64,
}

impl Arm {
    pub fn from_stats(stats: &MeanStats) -> Option<Self> {
        if !stats.is_finite() {
            return None;
        }
        Some(Arm { n: stats.n as f64, mean: stats.mean()?, variance: stats.variance()? })
    }

    /// The variance of the arm's mean.
    fn mean_variance(&self) -> f64 {
        self.variance / self.n
    }
}

/// The relative lift and its delta-method variance without adjustment:
/// Var ≈ Var(t̄)/c̄² + Var(c̄)·t̄²/c̄⁴.
pub(crate) fn relative_plain(c: Arm, t: Arm) -> Option<(f64, f64)> {
    (c.mean != 0.0).then(|| {
        let estimate = (t.mean - c.mean) / c.mean;
        let variance = t.mean_variance() / c.mean.powi(2) + c.mean_variance() * t.mean.powi(2) / c.mean.powi(4);
        (estimate, variance)
    })
}

pub(crate) fn few_units(control: u64, treatment: u64, config: &ExperimentConfig) -> Option<TooSmall> {
    let fewest = control.min(treatment);
    (fewest < config.min_units_per_arm).then_some(TooSmall::FewUnits { fewest, needed: config.min_units_per_arm })
}

/// The test itself, given each arm and the relative lift's (estimate, variance).
pub(crate) fn compare(
    c: Arm,
    t: Arm,
    relative: Option<(f64, f64)>,
    too_small: Option<TooSmall>,
    alpha: f64,
) -> Option<Comparison> {
    let (vc, vt) = (c.mean_variance(), t.mean_variance());
    let se = (vc + vt).sqrt();
    let difference = t.mean - c.mean;
    let dof = welch_dof(vc, vt, c.n, t.n).filter(|_| se > 0.0);
    let quantile = dof.and_then(|dof| t_quantile(alpha, dof));
    let interval = |estimate: f64, se: f64| {
        quantile.filter(|_| se > 0.0).map(|q| Interval { low: estimate - q * se, high: estimate + q * se })
    };
    let p_value = dof.map(|dof| two_sided_p(difference / se, dof));
    let relative = relative.map(|(estimate, variance)| Effect { estimate, ci: interval(estimate, variance.sqrt()) });
    let too_small = too_small.or((se == 0.0).then_some(TooSmall::NoVariance));
    let out = Comparison {
        control_mean: c.mean,
        treatment_mean: t.mean,
        control_variance: c.variance,
        treatment_variance: t.variance,
        absolute: Effect { estimate: difference, ci: interval(difference, se) },
        relative,
        p_value,
        degrees_of_freedom: dof,
        significant: p_value.is_some_and(|p| p < alpha),
        enough_data: too_small.is_none(),
        too_small,
    };
    out.is_finite().then_some(out)
}

impl Comparison {
    fn is_finite(&self) -> bool {
        let effect =
            |e: &Effect| e.estimate.is_finite() && e.ci.is_none_or(|i| i.low.is_finite() && i.high.is_finite());
        [self.control_mean, self.treatment_mean, self.control_variance, self.treatment_variance]
            .iter()
            .all(|v| v.is_finite())
            && effect(&self.absolute)
            && self.relative.as_ref().is_none_or(effect)
            && self.p_value.is_none_or(f64::is_finite)
            && self.degrees_of_freedom.is_none_or(f64::is_finite)
    }
}

/// Welch–Satterthwaite: (v₁ + v₂)² / (v₁²/(n₁ − 1) + v₂²/(n₂ − 1)), with vᵢ the variance of
/// each arm's mean. `None` when neither arm varies.
pub(crate) fn welch_dof(v1: f64, v2: f64, n1: f64, n2: f64) -> Option<f64> {
    let denominator = v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0);
    (denominator > 0.0).then(|| (v1 + v2).powi(2) / denominator)
}

/// P(|T| ≥ |t|) for Student's t with `dof` degrees of freedom, as the regularised incomplete
/// beta I_{ν/(ν+t²)}(ν/2, ½): exact in the tail, where 1 − cdf would round to 0.
pub(crate) fn two_sided_p(t: f64, dof: f64) -> f64 {
    beta_reg(dof / 2.0, 0.5, dof / (dof + t * t)).clamp(0.0, 1.0)
}

/// The t value with `alpha / 2` above it. statrs inverts through the incomplete beta, which is
/// good to about 1e-9; two Newton steps on the tail probability make it exact to rounding.
pub(crate) fn t_quantile(alpha: f64, dof: f64) -> Option<f64> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return None;
    }
    let dist = StudentsT::new(0.0, 1.0, dof).ok()?;
    let mut q = dist.inverse_cdf(1.0 - alpha / 2.0);
    for _ in 0..2 {
        let step = (dist.sf(q) - alpha / 2.0) / dist.pdf(q);
        if step.is_finite() {
            q += step;
        }
    }
    q.is_finite().then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ExperimentConfig {
        ExperimentConfig::default()
    }

    #[test]
    fn a_textbook_welch_test() {
        // scipy.stats.ttest_ind([1,2,3,4,5], [2,4,6,8,10], equal_var=False):
        // t = −1.8974, dof = 5.8824, p = 0.1075312.
        let c = MeanStats::from_values(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let t = MeanStats::from_values(&[2.0, 4.0, 6.0, 8.0, 10.0]);
        let r = compare_means(&c, &t, &config()).unwrap();
        assert!((r.absolute.estimate - 3.0).abs() < 1e-12);
        assert!((r.degrees_of_freedom.unwrap() - 5.882352941).abs() < 1e-8);
        assert!((r.p_value.unwrap() - 0.10753119493062728).abs() < 1e-12, "{:?}", r.p_value);
        assert!((r.relative.unwrap().estimate - 1.0).abs() < 1e-12);
        assert_eq!(r.too_small, Some(TooSmall::FewUnits { fewest: 5, needed: 100 }));
        assert!(!r.enough_data && !r.significant);
    }

    #[test]
    fn the_t_quantile_is_exact() {
        // scipy.stats.t.ppf(0.975, ·) for 10, 1 and 10⁶ degrees of freedom.
        assert!((t_quantile(0.05, 10.0).unwrap() - 2.228138851986274).abs() < 1e-12);
        assert!((t_quantile(0.05, 1.0).unwrap() - 12.706204736174694).abs() < 1e-9);
        assert!((t_quantile(0.05, 1e6).unwrap() - 1.959966356814107).abs() < 1e-9);
        assert_eq!(t_quantile(0.0, 10.0), None);
    }

    #[test]
    fn empty_and_single_unit_arms_are_none() {
        let some = MeanStats::from_values(&[1.0, 2.0, 3.0]);
        assert_eq!(compare_means(&MeanStats::default(), &some, &config()), None);
        assert_eq!(compare_means(&some, &MeanStats::from_values(&[1.0]), &config()), None);
        assert_eq!(
            compare_proportions(Proportion { n: 0, conversions: 0 }, Proportion { n: 10, conversions: 1 }, &config()),
            None
        );
        assert_eq!(
            compare_proportions(Proportion { n: 5, conversions: 6 }, Proportion { n: 10, conversions: 1 }, &config()),
            None
        );
        let nan = MeanStats { n: 3, sum: f64::NAN, sum_squares: 1.0 };
        assert_eq!(compare_means(&nan, &some, &config()), None);
    }

    #[test]
    fn no_variance_has_no_p_value_nor_interval() {
        let c = MeanStats { n: 200, sum: 400.0, sum_squares: 800.0 };
        let t = MeanStats { n: 200, sum: 600.0, sum_squares: 1800.0 };
        let r = compare_means(&c, &t, &config()).unwrap();
        assert_eq!((r.p_value, r.absolute.ci, r.degrees_of_freedom), (None, None, None));
        assert_eq!(r.too_small, Some(TooSmall::NoVariance));
        assert!((r.absolute.estimate - 1.0).abs() < 1e-12 && !r.significant);
        // One arm constant is fine: the other carries the variance.
        let t = MeanStats::from_values(&(0..200).map(|i| (i % 5) as f64).collect::<Vec<_>>());
        let r = compare_means(&c, &t, &config()).unwrap();
        assert!((r.degrees_of_freedom.unwrap() - 199.0).abs() < 1e-9);
        assert!(r.p_value.is_some() && r.enough_data);
    }

    #[test]
    fn a_zero_control_has_no_relative_lift() {
        let r = compare_proportions(
            Proportion { n: 500, conversions: 0 },
            Proportion { n: 500, conversions: 40 },
            &config(),
        )
        .unwrap();
        assert_eq!(r.relative, None);
        assert!(r.p_value.unwrap() < 1e-6);
        assert_eq!(r.too_small, Some(TooSmall::FewConversions { fewest: 0, needed: 30 }));
    }

    #[test]
    fn p_values_stay_in_range_and_tiny_ones_are_not_zero() {
        let r = compare_proportions(
            Proportion { n: 100_000, conversions: 10_000 },
            Proportion { n: 100_000, conversions: 12_000 },
            &config(),
        )
        .unwrap();
        let p = r.p_value.unwrap();
        assert!(p > 0.0 && p < 1e-40, "{p}");
        assert!(r.significant && r.enough_data);
        let same = compare_proportions(
            Proportion { n: 1000, conversions: 100 },
            Proportion { n: 1000, conversions: 100 },
            &config(),
        )
        .unwrap();
        assert!((same.p_value.unwrap() - 1.0).abs() < 1e-12);
        for (a, b) in [(0, 1), (1, 999), (500, 501), (3, 7)] {
            let r = compare_proportions(
                Proportion { n: 1000, conversions: a },
                Proportion { n: 1000, conversions: b },
                &config(),
            )
            .unwrap();
            assert!((0.0..=1.0).contains(&r.p_value.unwrap()));
        }
    }

    #[test]
    fn a_comparison_serialises_without_nan() {
        let c = MeanStats { n: 200, sum: 0.0, sum_squares: 0.0 };
        let r = compare_means(&c, &c, &config()).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"relative\":null") && json.contains("\"p_value\":null"), "{json}");
    }
}
