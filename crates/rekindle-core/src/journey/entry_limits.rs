//! How many people a journey may take in: per local day in the store's zone and in all
//! (docs/journeys.md, "Launch safety"). Decided here; the stores count and insert under one
//! lock so two runners cannot both take the last place.

use std::ops::Range;

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;

use super::Limits;
use crate::calendar::Calendar;

/// A journey's entry limits as the store applies them to one entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryLimits {
    pub per_day: Option<u32>,
    pub total: Option<u32>,
    /// The store's local day the entry falls on, as UTC instants (`entered_at` in it counts).
    pub day: Option<Range<DateTime<Utc>>>,
}

/// Why someone triggered was not entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRefusal {
    PerDay,
    Total,
}

impl EntryRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerDay => "entries_per_day",
            Self::Total => "entries_total",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::PerDay, Self::Total].into_iter().find(|r| r.as_str() == text)
    }
}

impl EntryLimits {
    /// The limits of `limits` for an entry at `at`, the day taken in `tz`.
    pub fn of(limits: &Limits, at: DateTime<Utc>, tz: Tz) -> Self {
        let day = limits.entries_per_day.map(|_| {
            let cal = Calendar::new(tz);
            let today = cal.day(at);
            let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
            cal.midnight(today)..cal.midnight(tomorrow)
        });
        Self { per_day: limits.entries_per_day, total: limits.entries_total, day }
    }

    /// No limit at all: the store need not count.
    pub fn is_none(&self) -> bool {
        self.per_day.is_none() && self.total.is_none()
    }

    /// Whether one more may enter, given how many entered on the day and in all. The total
    /// is named first: a journey that is full stays full whatever the day.
    pub fn refusal(&self, today: u64, total: u64) -> Option<EntryRefusal> {
        if self.total.is_some_and(|t| total >= u64::from(t)) {
            return Some(EntryRefusal::Total);
        }
        if self.per_day.is_some_and(|d| today >= u64::from(d)) {
            return Some(EntryRefusal::PerDay);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_day_is_the_stores_and_full_is_full() {
        let limits = Limits { entries_per_day: Some(2), entries_total: Some(3), ..Limits::default() };
        // 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai.
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).unwrap();
        let l = EntryLimits::of(&limits, at, chrono_tz::Asia::Shanghai);
        let day = l.day.clone().unwrap();
        assert_eq!(day.start, Utc.with_ymd_and_hms(2026, 3, 1, 16, 0, 0).unwrap());
        assert_eq!(day.end, Utc.with_ymd_and_hms(2026, 3, 2, 16, 0, 0).unwrap());
        assert_eq!(l.refusal(1, 1), None);
        assert_eq!(l.refusal(2, 2), Some(EntryRefusal::PerDay));
        assert_eq!(l.refusal(0, 3), Some(EntryRefusal::Total));
        assert_eq!(l.refusal(2, 3), Some(EntryRefusal::Total));
        assert!(EntryLimits::of(&Limits::default(), at, chrono_tz::UTC).is_none());
        assert_eq!(EntryRefusal::parse(EntryRefusal::PerDay.as_str()), Some(EntryRefusal::PerDay));
    }
}
