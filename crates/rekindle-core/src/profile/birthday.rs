//! A birthday as people write it in an `identify` trait: `1990-05-12`, `1990/5/12`,
//! `05-12`, `1990年5月12日`, `5月12日`, or an ISO timestamp. Only the month and day are kept:
//! the year is neither needed to greet someone nor something to hold on to.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;

/// A month and day that exist in some year (29 February included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    pub fn new(month: u32, day: u32) -> Option<Self> {
        // 2000 is a leap year, so 29 February is accepted.
        NaiveDate::from_ymd_opt(2000, month, day).map(|_| Self { month, day })
    }

    /// Read a `birthday` trait; `None` when it is not a date.
    pub fn parse(value: &Value) -> Option<Self> {
        let text = value.as_str()?.trim();
        let date = text.split(['T', ' ']).next().unwrap_or(text);
        let parts: Vec<&str> = date.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
        let number = |s: &str| s.parse::<u32>().ok().filter(|_| s.len() <= 4);
        match parts.as_slice() {
            [year, month, day] if year.len() == 4 => Self::new(number(month)?, number(day)?),
            [month, day] => Self::new(number(month)?, number(day)?),
            _ => None,
        }
    }

    /// Whether `date` is this birthday. Someone born on 29 February is greeted on the 28th
    /// in a year without one.
    pub fn falls_on(self, date: NaiveDate) -> bool {
        if (self.month, self.day) == (date.month(), date.day()) {
            return true;
        }
        (self.month, self.day) == (2, 29) && (date.month(), date.day()) == (2, 28) && !date.leap_year()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn md(month: u32, day: u32) -> Option<MonthDay> {
        Some(MonthDay { month, day })
    }

    #[test]
    fn reads_the_common_written_forms() {
        for (text, expected) in [
            ("1990-05-12", md(5, 12)),
            ("1990/5/12", md(5, 12)),
            ("1990.05.12", md(5, 12)),
            ("05-12", md(5, 12)),
            ("1990年5月12日", md(5, 12)),
            ("5月12日", md(5, 12)),
            ("1990-05-12T00:00:00+08:00", md(5, 12)),
            (" 1992-02-29 ", md(2, 29)),
            ("1990-02-30", None),
            ("1990-13-01", None),
            ("12", None),
            ("生日", None),
            ("", None),
            ("99999-1-1", None),
        ] {
            assert_eq!(MonthDay::parse(&json!(text)), expected, "{text}");
        }
        assert_eq!(MonthDay::parse(&json!(19900512)), None);
    }

    #[test]
    fn the_29th_of_february_is_kept_on_the_28th_in_common_years() {
        let leap = MonthDay::new(2, 29).unwrap();
        let on = |y, m, d| leap.falls_on(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert!(on(2027, 2, 28));
        assert!(!on(2028, 2, 28));
        assert!(on(2028, 2, 29));
        assert!(!on(2027, 3, 1));
        let may = MonthDay::new(5, 12).unwrap();
        assert!(may.falls_on(NaiveDate::from_ymd_opt(2031, 5, 12).unwrap()));
        assert!(!may.falls_on(NaiveDate::from_ymd_opt(2031, 5, 13).unwrap()));
    }

    proptest! {
        #[test]
        fn any_text_parses_or_not_without_panicking(text in "\\PC{0,24}") {
            if let Some(d) = MonthDay::parse(&json!(text)) {
                prop_assert!(MonthDay::new(d.month, d.day).is_some());
            }
        }

        #[test]
        fn every_real_date_reads_back(date in (1900i32..2100, 1u32..=366)) {
            let Some(day) = NaiveDate::from_yo_opt(date.0, date.1) else { return Ok(()) };
            let text = day.format("%Y-%m-%d").to_string();
            prop_assert_eq!(MonthDay::parse(&json!(text)), md(day.month(), day.day()));
        }
    }
}
