//! The service clocks: an after-sales ticket is owed a resolution within 48 hours of wall-clock
//! time (seed 000: 售后快速响应群，48小时内解决 — a spoiled delivery does not wait for Monday);
//! a message is owed a first reply within 15 minutes of working time and within 2 hours
//! overall (seed 002: a message left two hours raises the risk of losing the person by half).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::hours::WorkingHours;
use crate::FieldError;

/// A store's service promises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ServiceSla))]
#[serde(deny_unknown_fields, default)]
pub struct Sla {
    /// Hours to resolve an after-sales ticket, wall clock.
    pub resolve_hours: u32,
    /// Minutes of working time to a first reply.
    pub reply_working_minutes: u32,
    /// Minutes to a first reply, wall clock, whatever the hours.
    pub reply_minutes: u32,
    pub hours: WorkingHours,
}

impl Default for Sla {
    fn default() -> Self {
        Self { resolve_hours: 48, reply_working_minutes: 15, reply_minutes: 120, hours: WorkingHours::default() }
    }
}

/// Where a first reply stands against both promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reply {
    /// Working time waited (until the reply, or until now).
    pub working_seconds: i64,
    /// Wall-clock time waited.
    pub seconds: i64,
    /// When the working-time promise runs out.
    pub due: Option<DateTime<Utc>>,
    pub within_working: bool,
    pub within_overall: bool,
    pub answered: bool,
}

impl Sla {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if !(1..=720).contains(&self.resolve_hours) {
            out.push(FieldError::new("resolve_hours", "must be between 1 and 720"));
        }
        if !(1..=1440).contains(&self.reply_working_minutes) {
            out.push(FieldError::new("reply_working_minutes", "must be between 1 and 1440"));
        }
        if !(1..=10_080).contains(&self.reply_minutes) {
            out.push(FieldError::new("reply_minutes", "must be between 1 and 10080"));
        }
        out.extend(self.hours.check().into_iter().map(|e| FieldError::new(format!("hours.{}", e.field), e.reason)));
        out
    }

    /// When a ticket opened at `opened` is overdue.
    pub fn resolve_by(&self, opened: DateTime<Utc>) -> DateTime<Utc> {
        opened + Duration::hours(i64::from(self.resolve_hours))
    }

    /// Whether a ticket was (or, open at `now`, still can be) resolved in time.
    pub fn resolved_in_time(&self, opened: DateTime<Utc>, resolved: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        resolved.unwrap_or(now) <= self.resolve_by(opened)
    }

    /// A message asked at `asked`, first answered at `replied` (or not yet, at `now`).
    pub fn reply(&self, asked: DateTime<Utc>, replied: Option<DateTime<Utc>>, now: DateTime<Utc>, tz: Tz) -> Reply {
        let until = replied.unwrap_or(now).max(asked);
        let working = self.hours.working(asked, until, tz);
        let wall = until - asked;
        Reply {
            working_seconds: working.num_seconds(),
            seconds: wall.num_seconds(),
            due: self.hours.deadline(asked, Duration::minutes(i64::from(self.reply_working_minutes)), tz),
            within_working: working <= Duration::minutes(i64::from(self.reply_working_minutes)),
            within_overall: wall <= Duration::minutes(i64::from(self.reply_minutes)),
            answered: replied.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_ticket_has_48_hours_of_wall_clock_whatever_the_day() {
        let sla = Sla::default();
        // Opened Friday evening in Shanghai; due Sunday evening, working hours or not.
        let opened = t("2026-12-04T12:00:00Z");
        assert_eq!(sla.resolve_by(opened), t("2026-12-06T12:00:00Z"));
        assert!(sla.resolved_in_time(opened, Some(t("2026-12-06T11:59:00Z")), t("2026-12-10T00:00:00Z")));
        assert!(!sla.resolved_in_time(opened, Some(t("2026-12-06T12:01:00Z")), t("2026-12-10T00:00:00Z")));
        assert!(sla.resolved_in_time(opened, None, t("2026-12-05T00:00:00Z")), "open, still in time");
        assert!(!sla.resolved_in_time(opened, None, t("2026-12-07T00:00:00Z")), "open and overdue");
    }

    #[test]
    fn a_reply_at_night_is_judged_on_working_minutes_and_on_the_two_hour_promise() {
        let sla = Sla::default();
        let tz = chrono_tz::Asia::Shanghai;
        // Asked at 23:30 Shanghai (15:30 UTC), answered at 09:10 the next morning: 10 working
        // minutes (in time), but nearly ten hours on the wall clock (late overall).
        let r = sla.reply(t("2026-12-03T15:30:00Z"), Some(t("2026-12-04T01:10:00Z")), t("2026-12-05T00:00:00Z"), tz);
        assert_eq!((r.working_seconds, r.within_working, r.within_overall), (600, true, false));
        assert_eq!(r.due, Some(t("2026-12-04T01:15:00Z")), "09:15 the next morning");
        // Asked at 14:00, unanswered at 14:20: already late on working time.
        let open = sla.reply(t("2026-12-03T06:00:00Z"), None, t("2026-12-03T06:20:00Z"), tz);
        assert_eq!((open.answered, open.within_working, open.within_overall), (false, false, true));
    }

    #[test]
    fn promises_are_checked_by_field() {
        let bad = Sla { resolve_hours: 0, reply_minutes: 20_000, ..Sla::default() };
        let fields: Vec<String> = bad.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["resolve_hours", "reply_minutes"]);
    }
}
