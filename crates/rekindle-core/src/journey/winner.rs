//! An experiment's automatic winner (docs/journeys.md, "Automatic winners"): the variant a
//! split with `auto_winner` settled on, when, and the figures it was chosen on. Recorded once
//! on the journey; from then on the walk sends everyone the split does not hold out there.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::JourneyId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WinnerDecision {
    pub journey: JourneyId,
    /// The split step.
    pub step: String,
    pub winner: String,
    /// The published version the experiment ran on when it was decided.
    pub version: i32,
    pub decided_at: DateTime<Utc>,
    pub evidence: WinnerEvidence,
}

/// What the decision rests on: the goal (order rate within the conversion window), each
/// variant's measured entries and rate, and the winner against each other variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WinnerEvidence {
    /// The metric (`order_rate`) and its window in days.
    pub metric: String,
    pub window_days: i64,
    pub min_per_variant: u32,
    /// The test's level: intervals are (1 − alpha), p-values compared with alpha.
    pub alpha: f64,
    pub variants: Vec<VariantFigures>,
    /// The winner against each other variant.
    pub against: Vec<Against>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariantFigures {
    pub variant: String,
    /// Measured entries (their window has closed).
    pub units: u64,
    pub conversions: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Against {
    pub variant: String,
    /// The winner's rate minus this variant's, with its (1 − alpha) interval.
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided, raw and adjusted (Benjamini–Hochberg over every pair of variants).
    pub p_value: f64,
    pub adjusted_p_value: f64,
}
