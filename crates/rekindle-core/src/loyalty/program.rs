//! A store's loyalty program: what earns points, what points are worth, when they expire, and
//! the member levels with their benefits. Defaults follow the seeds: ¥1 spent earns 1 point,
//! 50 points are ¥1 off with no threshold (seed 002), watching ≥ 30 minutes, commenting and
//! sharing earn activity points (seed 001), levels L1–L4 (seed 000).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = LoyaltyProgram))]
#[serde(deny_unknown_fields, default)]
pub struct Program {
    pub earn: EarnRules,
    /// Points worth ¥1 at redemption.
    pub points_per_yuan: i64,
    pub expiry: Expiry,
    /// Levels from the lowest up; a person is at the highest whose `min_growth` they reach.
    pub levels: Vec<LevelRule>,
    /// Days of growth a level is judged on (保级: what was earned in this window keeps it).
    pub growth_days: u32,
    /// Days a level reached is held (保级期) before it is judged again; 0 judges every day.
    pub keep_days: u32,
    /// Where a member goes whose growth no longer holds their level when it is judged.
    pub downgrade: Downgrade,
}

/// The downgrade policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Downgrade {
    /// Down one level at a time, a keep period apart (the gentler policy).
    #[default]
    OneLevel,
    /// Straight to the level their growth reaches.
    ToGrowth,
}

/// Points for activity and spend, with daily caps against farming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct EarnRules {
    /// Points per ¥1 of an order's revenue (rounded down).
    pub per_yuan: i64,
    /// Watching at least `watch_minutes` of one session earns `watch_points`, once a session.
    pub watch_minutes: u32,
    pub watch_points: i64,
    /// A comment earns `comment_points`, at most `comments_per_day` comments a day.
    pub comment_points: i64,
    pub comments_per_day: u32,
    /// A share earns `share_points`, at most `shares_per_day` a day.
    pub share_points: i64,
    pub shares_per_day: u32,
    /// Content a member submits (`UGC Submitted`: a review with photos, a recipe) earns
    /// `ugc_points`, at most `ugc_per_day` a day.
    pub ugc_points: i64,
    pub ugc_per_day: u32,
}

/// When earned points expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Expiry {
    /// At the end of the year after the one they were earned in (store's time zone).
    EndOfNextYear,
    /// `days` after they were earned.
    Days {
        days: u32,
    },
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    /// `L1` … `L4`, or the store's own names.
    pub name: String,
    /// Growth value (points earned in the growth window) that reaches the level.
    pub min_growth: i64,
    #[serde(default)]
    pub benefits: Benefits,
}

/// What a level brings, for the mini-program to show and apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Benefits {
    /// Pay this percent of the price (90 is 9折); none at 100 or unset.
    pub discount_percent: Option<u8>,
    pub priority_shipping: bool,
    pub exclusive_items: bool,
    pub birthday_gift: bool,
    pub members_day: bool,
}

impl Default for EarnRules {
    fn default() -> Self {
        Self {
            per_yuan: 1,
            watch_minutes: 30,
            watch_points: 10,
            comment_points: 1,
            comments_per_day: 10,
            share_points: 5,
            shares_per_day: 3,
            ugc_points: 20,
            ugc_per_day: 2,
        }
    }
}

impl Default for Program {
    fn default() -> Self {
        let level = |name: &str, min_growth, benefits| LevelRule { name: name.into(), min_growth, benefits };
        Self {
            earn: EarnRules::default(),
            points_per_yuan: 50,
            expiry: Expiry::EndOfNextYear,
            levels: vec![
                level("L1", 0, Benefits::default()),
                level("L2", 500, Benefits { discount_percent: Some(95), ..Benefits::default() }),
                level(
                    "L3",
                    2000,
                    Benefits {
                        discount_percent: Some(90),
                        priority_shipping: true,
                        birthday_gift: true,
                        ..Benefits::default()
                    },
                ),
                level(
                    "L4",
                    6000,
                    Benefits {
                        discount_percent: Some(88),
                        priority_shipping: true,
                        exclusive_items: true,
                        birthday_gift: true,
                        members_day: true,
                    },
                ),
            ],
            growth_days: 365,
            keep_days: 365,
            downgrade: Downgrade::OneLevel,
        }
    }
}

/// The most points one entry may carry: far beyond any real award, small enough that sums
/// over a lifetime of entries never overflow.
pub const MAX_POINTS: i64 = 100_000_000;

impl Program {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        let mut bad = |field: &str, reason: &str| out.push(FieldError::new(field, reason));
        if !(1..=10_000).contains(&self.points_per_yuan) {
            bad("points_per_yuan", "must be between 1 and 10000");
        }
        let e = &self.earn;
        for (field, v) in [
            ("earn.per_yuan", e.per_yuan),
            ("earn.watch_points", e.watch_points),
            ("earn.comment_points", e.comment_points),
            ("earn.share_points", e.share_points),
            ("earn.ugc_points", e.ugc_points),
        ] {
            if !(0..=10_000).contains(&v) {
                bad(field, "must be between 0 and 10000");
            }
        }
        if !(1..=600).contains(&e.watch_minutes) {
            bad("earn.watch_minutes", "must be between 1 and 600");
        }
        if e.comments_per_day > 1000 || e.shares_per_day > 1000 || e.ugc_per_day > 1000 {
            bad("earn", "a daily cap must be at most 1000");
        }
        if let Expiry::Days { days } = self.expiry
            && !(1..=3650).contains(&days)
        {
            bad("expiry.days", "must be between 1 and 3650");
        }
        if self.levels.is_empty() || self.levels.len() > 10 {
            bad("levels", "needs between 1 and 10 levels");
        }
        if self.levels.first().is_some_and(|l| l.min_growth != 0) {
            bad("levels[0].min_growth", "the first level starts at 0");
        }
        for (i, l) in self.levels.iter().enumerate() {
            if l.name.trim().is_empty() || l.name.chars().count() > 20 {
                bad(&format!("levels[{i}].name"), "must be 1 to 20 characters");
            }
            if i > 0 && l.min_growth <= self.levels[i - 1].min_growth {
                bad(&format!("levels[{i}].min_growth"), "must be above the level below");
            }
            if l.min_growth > MAX_POINTS {
                bad(&format!("levels[{i}].min_growth"), "is too large");
            }
            if l.benefits.discount_percent.is_some_and(|p| !(1..=99).contains(&p)) {
                bad(&format!("levels[{i}].benefits.discount_percent"), "must be between 1 and 99 (90 is 9折)");
            }
        }
        if !(1..=3650).contains(&self.growth_days) {
            bad("growth_days", "must be between 1 and 3650");
        }
        if self.keep_days > 3650 {
            bad("keep_days", "must be between 0 and 3650");
        }
        out
    }

    /// When points earned at `at` expire, in the store's zone `tz`.
    pub fn expires(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match self.expiry {
            Expiry::Never => None,
            Expiry::Days { days } => Some(at + Duration::days(i64::from(days))),
            Expiry::EndOfNextYear => {
                let year = at.with_timezone(&tz).year() + 2;
                let start = NaiveDate::from_ymd_opt(year, 1, 1)?.and_hms_opt(0, 0, 0)?;
                tz.from_local_datetime(&start).earliest().map(|t| t.with_timezone(&Utc))
            }
        }
    }

    /// Points for an order of `revenue_fen`.
    pub fn order_points(&self, revenue_fen: i64) -> i64 {
        (revenue_fen.max(0) / 100).saturating_mul(self.earn.per_yuan).min(MAX_POINTS)
    }

    /// What `points` are worth, in fen (rounded down).
    pub fn value_fen(&self, points: i64) -> i64 {
        points.max(0).saturating_mul(100) / self.points_per_yuan.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_seeds_and_pass_their_own_checks() {
        let p = Program::default();
        assert_eq!(p.check(), vec![]);
        assert_eq!(p.value_fen(50), 100, "50 points are ¥1");
        assert_eq!(p.order_points(12_990), 129, "¥1 earns a point, rounded down");
        let levels: Vec<&str> = p.levels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(levels, ["L1", "L2", "L3", "L4"]);
    }

    #[test]
    fn points_expire_at_the_end_of_the_next_year_in_the_stores_zone() {
        let p = Program::default();
        // 2026-12-31 20:00 UTC is already 2027-01-01 in Shanghai: expires at the end of 2028.
        let at: DateTime<Utc> = "2026-12-31T20:00:00Z".parse().unwrap();
        let shanghai = p.expires(at, chrono_tz::Asia::Shanghai).unwrap();
        assert_eq!(shanghai, "2028-12-31T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
        let utc = p.expires(at, chrono_tz::UTC).unwrap();
        assert_eq!(utc, "2028-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(Program { expiry: Expiry::Never, ..p }.expires(at, chrono_tz::UTC), None);
    }

    #[test]
    fn levels_must_rise_and_start_at_zero() {
        let mut p = Program::default();
        p.levels[2].min_growth = 100;
        p.levels[0].min_growth = 5;
        let fields: Vec<String> = p.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["levels[0].min_growth", "levels[2].min_growth"]);
    }
}
