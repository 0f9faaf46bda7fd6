//! Levels as held over time: a member moves up the moment their growth reaches a higher
//! level; a level reached is kept (保级) for the program's `keep_days`, and when each such
//! period ends it is judged on the growth of that moment: held for another period, or lost
//! by the program's downgrade policy. Every change is a `Level Changed` event in the log,
//! which is where the level held is read back from (the person's profile), so the journeys'
//! level trigger and the timeline see Rekindle's own changes.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::ledger::Entry;
use super::level::growth;
use super::program::{Downgrade, Program};

/// The level a member holds by their last `Level Changed`, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// Index into the program's levels.
    pub level: usize,
    pub since: DateTime<Utc>,
}

/// Why a level changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Growth reached a higher level.
    Reached,
    /// A keep period ended with growth below the level held.
    Lapsed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Reached => "reached",
            Reason::Lapsed => "lapsed",
        }
    }
}

/// One change of level, to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub from: usize,
    pub to: usize,
    pub at: DateTime<Utc>,
    pub reason: Reason,
    /// The growth it was judged on.
    pub growth: i64,
}

impl Program {
    /// The level held by `name` (a `Level Changed` event's `level`), when the program has it.
    pub fn level_named(&self, name: &str) -> Option<usize> {
        self.levels.iter().position(|l| l.name == name)
    }

    /// What a member holds by the last `Level Changed` folded into their profile
    /// (`Profile::level`): none when its level is not one of the program's.
    pub fn held(&self, last: Option<(DateTime<Utc>, &str)>) -> Option<Held> {
        last.and_then(|(since, name)| Some(Held { level: self.level_named(name)?, since }))
    }

    /// The level a member is at now: what they hold, or what growth reaches if that is
    /// higher (an upgrade counts before its event is read back).
    pub fn current_level(&self, held: Option<Held>, growth: i64) -> usize {
        self.level_of(growth).max(held.map_or(0, |h| h.level.min(self.levels.len().saturating_sub(1))))
    }

    /// The next change of a member's level by `now`, given what they hold and their ledger;
    /// none while they are where they should be. A change recorded and read back makes the
    /// next call judge from there, so a member who lapsed twice moves down twice, a keep
    /// period apart.
    pub fn review(&self, held: Option<Held>, entries: &[Entry], now: DateTime<Utc>) -> Option<Change> {
        let top = self.levels.len().checked_sub(1)?;
        let level = held.map_or(0, |h| h.level.min(top));
        let grown = growth(entries, self, now);
        let reached = self.level_of(grown);
        if reached > level {
            // When growth last rose: the change happened then, not whenever it was noticed.
            let at = entries.iter().map(|e| e.at).filter(|at| *at <= now).max().unwrap_or(now);
            let at = held.map_or(at, |h| at.max(h.since));
            return Some(Change { from: level, to: reached, at, reason: Reason::Reached, growth: grown });
        }
        let since = held?.since;
        if level == 0 {
            return None;
        }
        // Judged at the end of each keep period (each day without one), in order.
        let period = Duration::days(i64::from(self.keep_days.max(1)));
        let mut judged = since + period;
        while judged <= now {
            let g = growth(entries, self, judged);
            let holds = self.level_of(g);
            if holds < level {
                let to = match self.downgrade {
                    Downgrade::OneLevel => level - 1,
                    Downgrade::ToGrowth => holds,
                };
                return Some(Change { from: level, to, at: judged, reason: Reason::Lapsed, growth: g });
            }
            judged += period;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::Kind;

    fn t(day: i64) -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(day)
    }

    fn earned(day: i64, points: i64) -> Entry {
        Entry {
            kind: Kind::Earn,
            points,
            source: format!("order:{day}"),
            reason: String::new(),
            at: t(day),
            expires_at: None,
        }
    }

    #[test]
    fn growth_moves_a_member_up_at_once_and_from_the_moment_it_rose() {
        let p = Program::default();
        let ledger = [earned(0, 300), earned(10, 300)];
        let change = p.review(None, &ledger, t(20)).unwrap();
        assert_eq!((change.from, change.to, change.reason), (0, 1, Reason::Reached));
        assert_eq!(change.at, t(10), "L2 was reached by the second order");
        let held = Held { level: 1, since: change.at };
        assert_eq!(p.review(Some(held), &ledger, t(20)), None, "recorded: nothing more to do");
        let jump = p.review(None, &[earned(0, 7000)], t(1)).unwrap();
        assert_eq!(jump.to, 3, "an order worth 7000 growth goes straight to L4");
    }

    #[test]
    fn a_level_is_kept_for_its_period_then_lost_one_level_at_a_time() {
        let p = Program::default();
        // L3 reached on day 0; nothing earned since.
        let ledger = [earned(0, 2500)];
        let held = Held { level: 2, since: t(0) };
        assert_eq!(p.review(Some(held), &ledger, t(364)), None, "kept through the period");
        // The growth window also slides past day 0 at day 365: judged then, it lapses.
        let lapse = p.review(Some(held), &ledger, t(400)).unwrap();
        assert_eq!((lapse.from, lapse.to, lapse.reason, lapse.at), (2, 1, Reason::Lapsed, t(365)));
        let again = p.review(Some(Held { level: 1, since: lapse.at }), &ledger, t(800)).unwrap();
        assert_eq!((again.to, again.at), (0, t(730)), "and again a period later");
        let straight = Program { downgrade: Downgrade::ToGrowth, ..Program::default() };
        assert_eq!(straight.review(Some(held), &ledger, t(400)).unwrap().to, 0);
    }

    #[test]
    fn earning_enough_again_in_the_period_keeps_the_level() {
        let p = Program::default();
        let ledger = [earned(0, 2500), earned(300, 2100)];
        let held = Held { level: 2, since: t(0) };
        assert_eq!(p.review(Some(held), &ledger, t(400)), None, "2100 earned within the year keeps L3");
        assert_eq!(p.current_level(Some(held), 0), 2, "the level held counts while it is kept");
        assert_eq!(p.current_level(None, 2100), 2);
    }
}
