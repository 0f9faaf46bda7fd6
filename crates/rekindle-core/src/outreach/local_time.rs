//! Times of day in the store's zone: "send at 10:00", "quiet from 21:00".

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A wall-clock time, written "HH:MM".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "09:30"))]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime(pub NaiveTime);

impl LocalTime {
    pub fn hm(h: u32, m: u32) -> Self {
        Self(NaiveTime::from_hms_opt(h, m, 0).expect("a valid time of day"))
    }
}

impl TryFrom<String> for LocalTime {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for LocalTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map(Self)
            .map_err(|_| format!("{s:?} is not a time of day such as 09:30"))
    }
}

impl From<LocalTime> for String {
    fn from(t: LocalTime) -> String {
        t.0.format("%H:%M").to_string()
    }
}

/// The calendar day `t` falls on in `tz`.
pub fn local_day(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The first moment strictly after `now` when the clock in `tz` shows `at`.
///
/// A time skipped by a daylight-saving jump resolves to the first valid instant after it.
pub fn next_local(now: DateTime<Utc>, at: LocalTime, tz: Tz) -> DateTime<Utc> {
    let today = local_day(now, tz);
    for offset in 0..3 {
        let day = today.checked_add_days(Days::new(offset)).expect("a representable date");
        if let Some(t) = resolve_local(day, at.0, tz)
            && t > now
        {
            return t;
        }
    }
    unreachable!("one of three consecutive days has the time after now")
}

/// The first moment strictly after `now` when the clock in `tz` shows `at` on one of
/// `weekdays` (1 = Monday … 7 = Sunday; any day when empty).
pub fn next_local_on(now: DateTime<Utc>, at: LocalTime, weekdays: &[u8], tz: Tz) -> DateTime<Utc> {
    use chrono::Datelike;
    let mut t = next_local(now, at, tz);
    // Eight tries reach every weekday once; days outside 1–7 (refused when published) are
    // ignored rather than waited for forever.
    for _ in 0..8 {
        let day = t.with_timezone(&tz).weekday().number_from_monday() as u8;
        if weekdays.is_empty() || weekdays.contains(&day) || !weekdays.iter().any(|d| (1..=7).contains(d)) {
            return t;
        }
        t = next_local(t, at, tz);
    }
    t
}

/// `day` at `time` in `tz`, as UTC; the earlier instant when ambiguous, an hour on when skipped.
pub fn resolve_local(day: NaiveDate, time: NaiveTime, tz: Tz) -> Option<DateTime<Utc>> {
    let naive = day.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(naive + chrono::Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn next_local_is_today_or_tomorrow_in_the_store_zone() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        // 01:00 UTC is 09:00 in Shanghai: 10:00 is an hour away, 08:00 is tomorrow.
        assert_eq!(next_local(utc("2026-05-01T01:00:00Z"), LocalTime::hm(10, 0), tz), utc("2026-05-01T02:00:00Z"));
        assert_eq!(next_local(utc("2026-05-01T01:00:00Z"), LocalTime::hm(8, 0), tz), utc("2026-05-02T00:00:00Z"));
        // The local day, not the UTC day: 17:00 UTC on the 1st is already the 2nd in Shanghai.
        assert_eq!(local_day(utc("2026-05-01T17:00:00Z"), tz), NaiveDate::from_ymd_opt(2026, 5, 2).unwrap());
    }

    #[test]
    fn a_skipped_time_moves_on_an_hour() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 2026-03-08 02:30 does not exist in New York.
        let t = next_local(utc("2026-03-08T05:00:00Z"), LocalTime::hm(2, 30), tz);
        assert_eq!(t, utc("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn parses_hh_mm_only() {
        assert_eq!("09:30".parse::<LocalTime>().unwrap(), LocalTime::hm(9, 30));
        assert!("9h30".parse::<LocalTime>().is_err());
        assert!("25:00".parse::<LocalTime>().is_err());
    }
}
