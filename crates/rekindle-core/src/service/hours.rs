//! A store's working hours, and time counted only while they are open: a reply owed within 15
//! working minutes (seed 002) is not late at 3 a.m., nor over a closed Sunday. Hours are local
//! to the store's time zone; a day's span opens and closes on the same local day.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::outreach::LocalTime;
use crate::outreach::local_time::{local_day, resolve_local as resolve};

/// Open from `open` to `close` on `weekdays` (1 = Monday … 7 = Sunday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub weekdays: Vec<u8>,
    pub open: LocalTime,
    pub close: LocalTime,
}

/// The spans a store's service works; none means never closed (every minute counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    pub spans: Vec<Span>,
}

impl Default for WorkingHours {
    /// Every day 09:00–21:00: a fresh-food store's service works weekends, when people cook.
    fn default() -> Self {
        Self {
            spans: vec![Span { weekdays: (1..=7).collect(), open: LocalTime::hm(9, 0), close: LocalTime::hm(21, 0) }],
        }
    }
}

/// Days looked through for a deadline before giving up: a store open a few hours a year.
const HORIZON_DAYS: u64 = 400;

impl WorkingHours {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.spans.len() > 28 {
            out.push(FieldError::new("spans", "at most 28 spans"));
        }
        for (i, s) in self.spans.iter().enumerate() {
            if s.weekdays.is_empty() || s.weekdays.iter().any(|d| !(1..=7).contains(d)) {
                out.push(FieldError::new(format!("spans[{i}].weekdays"), "1 (Monday) to 7 (Sunday), at least one"));
            }
            if s.close <= s.open {
                out.push(FieldError::new(format!("spans[{i}].close"), "must be after open, on the same day"));
            }
        }
        out
    }

    /// The open intervals of one local day, as instants, in order and merged.
    fn intervals(&self, day: NaiveDate, tz: Tz) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let weekday = day.weekday().number_from_monday() as u8;
        let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = self
            .spans
            .iter()
            .filter(|s| s.weekdays.contains(&weekday) && s.open < s.close)
            .filter_map(|s| Some((resolve(day, s.open.0, tz)?, resolve(day, s.close.0, tz)?)))
            .filter(|(a, b)| a < b)
            .collect();
        out.sort();
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(out.len());
        for (a, b) in out {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    fn always(&self) -> bool {
        self.spans.is_empty()
    }

    /// Whether the service is open at `at`.
    pub fn is_open(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        self.always() || self.intervals(local_day(at, tz), tz).iter().any(|(a, b)| *a <= at && at < *b)
    }

    /// Working time between two instants (none when `to` is not after `from`).
    pub fn working(&self, from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        if self.always() {
            return to - from;
        }
        let mut total = Duration::zero();
        let mut day = local_day(from, tz);
        let last = local_day(to, tz);
        while day <= last {
            for (a, b) in self.intervals(day, tz) {
                let (a, b) = (a.max(from), b.min(to));
                if a < b {
                    total += b - a;
                }
            }
            day = day.checked_add_days(Days::new(1)).expect("a representable date");
        }
        total
    }

    /// The instant `budget` of working time after `from`: when a reply owed within it is late.
    /// None when the hours leave no such time within a year and a bit.
    pub fn deadline(&self, from: DateTime<Utc>, budget: Duration, tz: Tz) -> Option<DateTime<Utc>> {
        if self.always() {
            return Some(from + budget);
        }
        let mut left = budget;
        let mut day = local_day(from, tz);
        for _ in 0..HORIZON_DAYS {
            for (a, b) in self.intervals(day, tz) {
                let a = a.max(from);
                if a >= b {
                    continue;
                }
                if b - a >= left {
                    return Some(a + left);
                }
                left -= b - a;
            }
            day = day.checked_add_days(Days::new(1))?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Monday to Friday 09:00–12:00 and 13:00–18:00; Saturday 10:00–16:00; closed Sunday.
    fn office() -> WorkingHours {
        let span = |weekdays: &[u8], open: (u32, u32), close: (u32, u32)| Span {
            weekdays: weekdays.to_vec(),
            open: LocalTime::hm(open.0, open.1),
            close: LocalTime::hm(close.0, close.1),
        };
        WorkingHours {
            spans: vec![
                span(&[1, 2, 3, 4, 5], (9, 0), (12, 0)),
                span(&[1, 2, 3, 4, 5], (13, 0), (18, 0)),
                span(&[6], (10, 0), (16, 0)),
            ],
        }
    }

    #[test]
    fn only_open_minutes_count_and_lunch_and_nights_do_not() {
        let h = office();
        // Friday 2026-12-04, 11:50 in Shanghai (03:50 UTC) to 13:10: 10 + 10 working minutes.
        assert_eq!(h.working(t("2026-12-04T03:50:00Z"), t("2026-12-04T05:10:00Z"), SHANGHAI), Duration::minutes(20));
        // Friday 17:55 to Monday 09:05: 5 minutes Friday, 6 hours Saturday, none Sunday, 5 Monday.
        let weekend = h.working(t("2026-12-04T09:55:00Z"), t("2026-12-07T01:05:00Z"), SHANGHAI);
        assert_eq!(weekend, Duration::minutes(5 + 360 + 5));
        assert!(h.is_open(t("2026-12-05T02:00:00Z"), SHANGHAI), "Saturday 10:00");
        assert!(!h.is_open(t("2026-12-06T04:00:00Z"), SHANGHAI), "Sunday noon");
        assert_eq!(h.working(t("2026-12-07T01:05:00Z"), t("2026-12-04T09:55:00Z"), SHANGHAI), Duration::zero());
    }

    #[test]
    fn a_deadline_of_working_minutes_waits_for_the_next_opening() {
        let h = office();
        // Asked Saturday 15:50: 10 minutes then, 5 more on Monday at 09:00.
        let due = h.deadline(t("2026-12-05T07:50:00Z"), Duration::minutes(15), SHANGHAI).unwrap();
        assert_eq!(due, t("2026-12-07T01:05:00Z"));
        // Asked at 03:00 on a weekday: due 15 minutes after opening.
        let due = h.deadline(t("2026-12-02T19:00:00Z"), Duration::minutes(15), SHANGHAI).unwrap();
        assert_eq!(due, t("2026-12-03T01:15:00Z"));
        assert_eq!(h.working(t("2026-12-02T19:00:00Z"), due, SHANGHAI), Duration::minutes(15));
        let never = WorkingHours { spans: vec![] };
        assert_eq!(
            never.deadline(t("2026-12-02T19:00:00Z"), Duration::minutes(15), SHANGHAI),
            Some(t("2026-12-02T19:15:00Z"))
        );
    }

    #[test]
    fn hours_are_the_stores_local_hours_across_a_clock_change() {
        // New York leaves daylight time on 2026-11-01: 09:00–17:00 is 13:00–21:00 UTC on the
        // Friday before and 14:00–22:00 UTC on the Monday after.
        let ny = chrono_tz::America::New_York;
        let h = WorkingHours {
            spans: vec![Span { weekdays: vec![1, 2, 3, 4, 5], open: LocalTime::hm(9, 0), close: LocalTime::hm(17, 0) }],
        };
        assert!(h.is_open(t("2026-10-30T13:30:00Z"), ny));
        assert!(!h.is_open(t("2026-11-02T13:30:00Z"), ny));
        assert_eq!(h.working(t("2026-10-30T00:00:00Z"), t("2026-11-03T00:00:00Z"), ny), Duration::hours(16));
    }

    #[test]
    fn spans_are_checked_by_field() {
        let bad = WorkingHours {
            spans: vec![Span { weekdays: vec![0, 8], open: LocalTime::hm(18, 0), close: LocalTime::hm(9, 0) }],
        };
        let fields: Vec<String> = bad.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["spans[0].weekdays", "spans[0].close"]);
        assert_eq!(WorkingHours::default().check(), vec![]);
    }

    proptest::proptest! {
        /// Working time adds up over any split, and a deadline is exactly its budget of working
        /// time away, in a zone with daylight saving too.
        #[test]
        fn working_time_adds_up_and_deadlines_invert_it(
            a in 0i64..2_000_000, b in 0i64..2_000_000, c in 0i64..2_000_000, budget in 1i64..3000,
        ) {
            let base = t("2026-10-20T00:00:00Z");
            let mut xs = [a, b, c];
            xs.sort();
            let [a, b, c] = xs.map(|x| base + Duration::seconds(x * 7));
            for tz in [SHANGHAI, chrono_tz::America::New_York] {
                let h = office();
                proptest::prop_assert_eq!(h.working(a, c, tz), h.working(a, b, tz) + h.working(b, c, tz));
                let due = h.deadline(a, Duration::minutes(budget), tz).unwrap();
                proptest::prop_assert_eq!(h.working(a, due, tz), Duration::minutes(budget));
                proptest::prop_assert!(due == a || h.is_open(due - Duration::seconds(1), tz));
            }
        }
    }
}
