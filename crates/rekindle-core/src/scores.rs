//! What the predictive models say about a person (docs/models.md), as rules and views read it.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How likely a person is to be slipping away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl std::str::FromStr for Risk {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            _ => Err(format!("unknown churn risk {s:?}; expected low, medium or high")),
        }
    }
}

/// When a person is expected to run out of a category they buy, with an 80% interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunOut {
    pub category: String,
    pub at: DateTime<Utc>,
    pub low: DateTime<Utc>,
    pub high: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scores {
    /// The chance the person is still a customer (MBG/NBD; BG/NBD if that could not be fitted).
    pub p_alive: f64,
    /// Purchases to expect in the next 30 days (BG/NBD).
    pub expected_orders_30d: f64,
    /// Value over the configured horizon, discounted, in fen (BG/NBD × Gamma-Gamma).
    pub clv_fen: i64,
    pub churn_risk: Risk,
    /// By category.
    pub run_outs: Vec<RunOut>,
    /// The category they have not bought that people who buy what they buy buy most.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_category: Option<String>,
}

/// How scores are computed (`[segments.models]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// CLV covers this many 30-day periods.
    pub clv_months: u32,
    /// Discount rate per 30-day period.
    pub monthly_discount: f64,
    /// Refit the models at most this often; people are rescored at every refresh.
    pub refit_minutes: u64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self { clv_months: 12, monthly_discount: 0.01, refit_minutes: 60 }
    }
}
