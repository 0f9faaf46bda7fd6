//! Team targets (seed 000: "明确各环节KPI（如7日复购率、沉睡用户唤醒率），而非仅考核GMV"): each
//! team — the live room, the community, after-sales service — judged on a retention rate with a
//! target the owner sets, not on GMV alone. What each rate means is docs/reports.md.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The most targets a store keeps.
pub const MAX_TARGETS: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Team {
    /// 直播团队
    Live,
    /// 社群运营
    Community,
    /// 客服售后
    Service,
}

/// A rate a team is judged on. Every one is a share where higher is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    /// New buyers who ordered again within 7 days.
    #[serde(rename = "repurchase_7d")]
    Repurchase7d,
    /// New buyers who ordered again within 30 days.
    #[serde(rename = "repurchase_30d")]
    Repurchase30d,
    /// Buyers gone silent who ordered again within 14 days.
    #[serde(rename = "wakeup_14d")]
    Wakeup14d,
    /// New buyers who came by referral.
    ReferralShare,
    /// After-sales tickets resolved within 48 hours.
    #[serde(rename = "tickets_48h")]
    Tickets48h,
}

impl Team {
    pub const ALL: [Team; 3] = [Team::Live, Team::Community, Team::Service];

    pub fn as_str(self) -> &'static str {
        match self {
            Team::Live => "live",
            Team::Community => "community",
            Team::Service => "service",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl Kpi {
    pub const ALL: [Kpi; 5] =
        [Kpi::Repurchase7d, Kpi::Repurchase30d, Kpi::Wakeup14d, Kpi::ReferralShare, Kpi::Tickets48h];

    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::Repurchase7d => "repurchase_7d",
            Kpi::Repurchase30d => "repurchase_30d",
            Kpi::Wakeup14d => "wakeup_14d",
            Kpi::ReferralShare => "referral_share",
            Kpi::Tickets48h => "tickets_48h",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Days after the event before its outcome is known: the rate is read over the 30 days
    /// that end this long before today.
    pub fn maturity_days(self) -> i64 {
        match self {
            Kpi::Repurchase7d => 7,
            Kpi::Repurchase30d => 30,
            Kpi::Wakeup14d => 14,
            Kpi::ReferralShare => 0,
            Kpi::Tickets48h => 2,
        }
    }
}

/// One team's target on one rate, as a share (0.3 is 30%).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamTarget {
    pub team: Team,
    pub kpi: Kpi,
    /// The share to reach, 0 to 1.
    pub target: f64,
}

impl TeamTarget {
    /// A target as a store keeps it, by names; an unknown name is said, not dropped.
    pub fn from_names(team: &str, kpi: &str, target: f64) -> Result<Self, String> {
        Ok(TeamTarget {
            team: Team::parse(team).ok_or_else(|| format!("unknown team {team:?}"))?,
            kpi: Kpi::parse(kpi).ok_or_else(|| format!("unknown kpi {kpi:?}"))?,
            target,
        })
    }
}

/// A store's targets: each a share, each team and rate once.
pub fn check(targets: &[TeamTarget]) -> Result<(), FieldError> {
    if targets.len() > MAX_TARGETS {
        return Err(FieldError::new("targets", format!("at most {MAX_TARGETS} targets")));
    }
    for (i, t) in targets.iter().enumerate() {
        if !(0.0..=1.0).contains(&t.target) {
            return Err(FieldError::new(format!("targets[{i}].target"), "must be a share between 0 and 1"));
        }
        if targets[..i].iter().any(|o| (o.team, o.kpi) == (t.team, t.kpi)) {
            return Err(FieldError::new(format!("targets[{i}].kpi"), "this team has a target on this rate already"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(team: Team, kpi: Kpi, target: f64) -> TeamTarget {
        TeamTarget { team, kpi, target }
    }

    #[test]
    fn targets_are_shares_once_per_team_and_rate() {
        let ok = [target(Team::Live, Kpi::Repurchase7d, 0.3), target(Team::Community, Kpi::Repurchase7d, 0.25)];
        assert_eq!(check(&ok), Ok(()));
        let twice = [target(Team::Live, Kpi::Wakeup14d, 0.1), target(Team::Live, Kpi::Wakeup14d, 0.2)];
        assert_eq!(check(&twice).unwrap_err().field, "targets[1].kpi");
        for bad in [-0.1, 1.5, f64::NAN] {
            assert_eq!(check(&[target(Team::Service, Kpi::Tickets48h, bad)]).unwrap_err().field, "targets[0].target");
        }
        let many = vec![target(Team::Live, Kpi::Repurchase7d, 0.1); MAX_TARGETS + 1];
        assert_eq!(check(&many).unwrap_err().field, "targets");
    }

    #[test]
    fn names_are_the_wire_names() {
        for k in Kpi::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(Kpi::parse(k.as_str()), Some(k));
        }
        for t in Team::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
            assert_eq!(Team::parse(t.as_str()), Some(t));
        }
    }
}
