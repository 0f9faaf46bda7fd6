//! The store's calendar: every figure counted by period (purchase days, cohorts, rates,
//! reports) counts local days, weeks and months in the store's time zone. Two orders at 23:00
//! and 07:00 local are two purchase days even when UTC puts them on one.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub tz: Tz,
}

impl Default for Calendar {
    /// China Standard Time: where Rekindle's stores are, and the default of a new workspace.
    fn default() -> Self {
        Self { tz: chrono_tz::Asia::Shanghai }
    }
}

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Day,
    /// Monday to Sunday, as calendars in China count a week.
    Week,
    Month,
}

impl Grain {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }
}

impl Calendar {
    pub fn new(tz: Tz) -> Self {
        Self { tz }
    }

    /// A workspace's calendar from its stored time zone name; an unknown name falls back to
    /// China Standard Time (the name was checked when it was saved).
    pub fn named(tz: &str) -> Self {
        tz.parse().map(Self::new).unwrap_or_default()
    }

    /// The local day an instant falls on.
    pub fn day(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The local time of an instant.
    pub fn local(&self, t: DateTime<Utc>) -> chrono::NaiveDateTime {
        t.with_timezone(&self.tz).naive_local()
    }

    /// The local day as a count of days since 1970-01-01: what the models count in.
    pub fn day_number(&self, t: DateTime<Utc>) -> i64 {
        (self.day(t) - NaiveDate::default()).num_days()
    }

    /// The instant a local day starts; a day that starts in a DST gap starts at the first
    /// instant that exists.
    pub fn midnight(&self, day: NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
        self.tz
            .from_local_datetime(&midnight)
            .earliest()
            .or_else(|| self.tz.from_local_datetime(&(midnight + Duration::hours(1))).earliest())
            .map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc))
    }
}

/// The first day of the period `day` is in.
pub fn period_start(grain: Grain, day: NaiveDate) -> NaiveDate {
    match grain {
        Grain::Day => day,
        Grain::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Grain::Month => day.with_day(1).expect("every month has a first day"),
    }
}

/// How many whole periods `later`'s period is after `earlier`'s: 0 in the same period, 1 in
/// the next (a calendar count: Jan 31 → Feb 1 is one month).
pub fn periods_between(grain: Grain, earlier: NaiveDate, later: NaiveDate) -> i64 {
    match grain {
        Grain::Day => (later - earlier).num_days(),
        Grain::Week => (period_start(grain, later) - period_start(grain, earlier)).num_days() / 7,
        Grain::Month => {
            i64::from(later.year() - earlier.year()) * 12 + i64::from(later.month()) - i64::from(earlier.month())
        }
    }
}

/// The start of the period `k` periods after the one starting at `start`.
pub fn nth_period(grain: Grain, start: NaiveDate, k: i64) -> NaiveDate {
    match grain {
        Grain::Day => start + Duration::days(k),
        Grain::Week => start + Duration::days(7 * k),
        Grain::Month => {
            let months = i64::from(start.year()) * 12 + i64::from(start.month0()) + k;
            NaiveDate::from_ymd_opt(months.div_euclid(12) as i32, months.rem_euclid(12) as u32 + 1, 1)
                .expect("a first of the month")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn local_days_are_the_stores() {
        let cal = Calendar::default();
        // 23:00 and 07:00 Shanghai on consecutive days: one UTC day, two local days.
        let late: DateTime<Utc> = "2026-05-09T15:00:00Z".parse().unwrap();
        let early: DateTime<Utc> = "2026-05-09T23:00:00Z".parse().unwrap();
        assert_eq!(late.date_naive(), early.date_naive());
        assert_eq!(cal.day_number(early) - cal.day_number(late), 1);
        assert_eq!(cal.midnight(d("2026-05-10")), "2026-05-09T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn periods_count_the_calendar() {
        assert_eq!(period_start(Grain::Week, d("2026-12-03")), d("2026-11-30"), "a Thursday's week starts Monday");
        assert_eq!(period_start(Grain::Month, d("2026-12-03")), d("2026-12-01"));
        assert_eq!(periods_between(Grain::Month, d("2026-01-31"), d("2026-02-01")), 1);
        assert_eq!(periods_between(Grain::Month, d("2025-11-15"), d("2026-02-01")), 3);
        assert_eq!(periods_between(Grain::Week, d("2026-11-29"), d("2026-11-30")), 1, "Sunday to Monday");
        assert_eq!(periods_between(Grain::Week, d("2026-11-30"), d("2026-12-06")), 0);
        assert_eq!(nth_period(Grain::Month, d("2026-11-01"), 3), d("2027-02-01"));
        assert_eq!(nth_period(Grain::Week, d("2026-11-30"), 2), d("2026-12-14"));
    }
}
