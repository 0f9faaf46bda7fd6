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

/// What an operator can do with a buyer, from their churn risk, their value tier and whether
/// something they buy runs out soon: the models page's groups, each with its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionGroup {
    /// Valuable and slipping (high or medium risk, high or potential tier): a person's care.
    SaveFirst,
    /// Slipping, lower value (high risk, edge tier): an automatic win-back.
    WinBack,
    /// Cooling (medium risk, edge tier): watch, touch lightly.
    Watch,
    /// Steady and about to run out of something (within [`ActionGroup::RUN_OUT_DAYS`]): a reminder.
    RunningOut,
    /// Steady: leave them be.
    Steady,
}

impl ActionGroup {
    pub const ALL: [ActionGroup; 5] = [Self::SaveFirst, Self::WinBack, Self::Watch, Self::RunningOut, Self::Steady];
    /// How soon a run-out makes a steady buyer worth a reminder.
    pub const RUN_OUT_DAYS: i64 = 7;

    pub fn of(scores: &Scores, tier: crate::lifecycle::Tier, now: DateTime<Utc>) -> Self {
        use crate::lifecycle::Tier;
        let valuable = matches!(tier, Tier::High | Tier::Potential);
        let soon = now + chrono::Duration::days(Self::RUN_OUT_DAYS);
        match scores.churn_risk {
            Risk::High | Risk::Medium if valuable => Self::SaveFirst,
            Risk::High => Self::WinBack,
            Risk::Medium => Self::Watch,
            Risk::Low if scores.run_outs.iter().any(|r| r.at >= now && r.at <= soon) => Self::RunningOut,
            Risk::Low => Self::Steady,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SaveFirst => "save_first",
            Self::WinBack => "win_back",
            Self::Watch => "watch",
            Self::RunningOut => "running_out",
            Self::Steady => "steady",
        }
    }

    /// The segment rule that selects the group, in the rule language's Chinese words, for the
    /// console's "make a segment of them".
    pub fn rule(self) -> &'static str {
        match self {
            Self::SaveFirst => "流失风险 属于 (高风险, 中风险) 且 非 分层 = 边缘",
            Self::WinBack => "流失风险 = 高风险 且 分层 = 边缘",
            Self::Watch => "流失风险 = 中风险 且 分层 = 边缘",
            Self::RunningOut => "流失风险 = 低风险 且 预计用完 近 7天",
            Self::Steady => "流失风险 = 低风险 且 非 预计用完 近 7天",
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
