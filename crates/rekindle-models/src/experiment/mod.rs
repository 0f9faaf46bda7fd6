//! Experiment readouts: did the treatment move each metric, by how much, and can the figures be
//! trusted. The frequentist figures GrowthBook (gbstats) and Statsig report, from per-arm sums so
//! callers aggregate in one pass (docs/models.md, "Experiments"):
//!
//! - [`compare_means`], [`compare_proportions`]: Welch's t-test, the absolute lift with its
//!   interval and the relative lift with a delta-method interval;
//! - [`compare_cuped`]: the same with the pre-period's predictable part taken out (CUPED);
//! - [`sample_ratio_mismatch`]: whether the arms got the traffic they were meant to;
//! - [`benjamini_hochberg`]: p-values adjusted for reading many metrics at once;
//! - [`readout`]: all of it over one experiment's metrics, with a verdict per metric.

mod checks;
mod compare;
mod cuped;
mod readout;

use serde::{Deserialize, Serialize};

pub use checks::{SRM_P_THRESHOLD, SampleRatio, benjamini_hochberg, sample_ratio_mismatch};
pub use compare::{Comparison, MeanStats, Proportion, compare_means, compare_proportions};
pub use cuped::{CupedComparison, CupedStats, compare_cuped};
pub use readout::{Goal, Metric, MetricData, MetricReadout, Readout, Verdict, readout};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExperimentConfig {
    /// The test's level: intervals are (1 − alpha), significant means p < alpha. 0.05.
    pub alpha: f64,
    /// Fewer units than this in either arm is too small to conclude. 100.
    pub min_units_per_arm: u64,
    /// For a proportion, fewer conversions (or non-conversions) than this in either arm is too
    /// small to conclude: the normal approximation behind the test needs both. 30.
    pub min_conversions_per_arm: u64,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        ExperimentConfig { alpha: 0.05, min_units_per_arm: 100, min_conversions_per_arm: 30 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// An estimate with its (1 − alpha) interval; none when there is no variance to build one from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Effect {
    pub estimate: f64,
    pub ci: Option<Interval>,
}

/// Why a comparison is too small to conclude. The rule is deliberately simple: too few units in
/// an arm, too few of either outcome of a proportion, or no variance at all; the first that
/// applies is given. Figures are still reported, but a readout gives no verdict on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum TooSmall {
    FewUnits {
        fewest: u64,
        needed: u64,
    },
    FewConversions {
        fewest: u64,
        needed: u64,
    },
    /// Neither arm varies: there is no test to run.
    NoVariance,
}
