//! Member levels from growth value: the points a person earned (activity and spend alike,
//! seed 001) in the program's growth window, less what refunds took back. Keeping a level (保级)
//! is earning enough again within the window; spending points never lowers it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::ledger::{Entry, Kind};
use super::membership::Held;
use super::program::{LevelRule, Program};

/// Growth value at `now`: points earned in the `growth_days` before it, less claw-backs.
pub fn growth(entries: &[Entry], program: &Program, now: DateTime<Utc>) -> i64 {
    let since = now - Duration::days(i64::from(program.growth_days));
    entries
        .iter()
        .filter(|e| e.at > since && e.at <= now)
        .map(|e| match e.kind {
            Kind::Earn | Kind::ClawBack => e.points,
            _ => 0,
        })
        .sum::<i64>()
        .max(0)
}

/// Where a person stands: their level and what the next one takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Standing {
    pub growth: i64,
    /// Index into the program's levels.
    pub level: usize,
    pub name: String,
    /// The next level's name, the growth it still takes and what that is in spend (yuan,
    /// rounded up), when there is a next level.
    pub next: Option<String>,
    pub points_to_next: Option<i64>,
    pub yuan_to_next: Option<i64>,
    /// Held by a recorded change since then, and kept until (保级) the next judgement.
    pub since: Option<DateTime<Utc>>,
    pub kept_until: Option<DateTime<Utc>>,
}

impl Program {
    /// The level `growth` reaches.
    pub fn level_of(&self, growth: i64) -> usize {
        self.levels.iter().rposition(|l| l.min_growth <= growth).unwrap_or(0)
    }

    /// Growth still needed from level `level` to the next (none at the top; never below 0).
    pub fn to_next(&self, level: usize, growth: i64) -> Option<i64> {
        self.levels.get(level + 1).map(|n| (n.min_growth - growth).max(0))
    }

    /// Where a member stands at `now`, by what they hold and their growth.
    pub fn standing(&self, held: Option<Held>, growth: i64, now: DateTime<Utc>) -> Standing {
        let level = self.current_level(held, growth);
        let since = held.filter(|h| h.level == level).map(|h| h.since);
        let keep = Duration::days(i64::from(self.keep_days.max(1)));
        let next: Option<&LevelRule> = self.levels.get(level + 1);
        let points_to_next = self.to_next(level, growth);
        let per_yuan = self.earn.per_yuan;
        Standing {
            growth,
            level,
            name: self.levels.get(level).map(|l| l.name.clone()).unwrap_or_default(),
            next: next.map(|n| n.name.clone()),
            points_to_next,
            yuan_to_next: points_to_next.filter(|_| per_yuan > 0).map(|p| (p + per_yuan - 1).max(0) / per_yuan),
            since,
            // The next judgement: the end of the keep period that `now` is in.
            kept_until: since.filter(|_| level > 0).map(|s| {
                let periods = (now - s).num_seconds().max(0) / keep.num_seconds() + 1;
                s + keep * periods as i32
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn earn(source: &str, points: i64, days_ago: i64, kind: Kind) -> Entry {
        let now: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        Entry {
            kind,
            points,
            source: source.into(),
            reason: String::new(),
            at: now - Duration::days(days_ago),
            expires_at: None,
        }
    }

    #[test]
    fn growth_counts_what_was_earned_in_the_window_and_spending_does_not_lower_it() {
        let p = Program::default();
        let now: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        let entries = [
            earn("order:1", 1800, 10, Kind::Earn),
            earn("watch:s1", 10, 5, Kind::Earn),
            earn("redeem:r1", -500, 4, Kind::Redeem),
            earn("order:old", 5000, 400, Kind::Earn),
            earn("clawback:order:1", -100, 2, Kind::ClawBack),
        ];
        let g = growth(&entries, &p, now);
        assert_eq!(g, 1710, "the redemption does not count; the order of last year is out of the window");
        let s = p.standing(None, g, now);
        assert_eq!((s.name.as_str(), s.next.as_deref()), ("L2", Some("L3")));
        assert_eq!((s.points_to_next, s.yuan_to_next), (Some(290), Some(290)), "¥290 more reaches L3");
        let top = p.standing(None, 10_000, now);
        assert_eq!((top.name.as_str(), top.next, top.points_to_next), ("L4", None, None));
    }
}
