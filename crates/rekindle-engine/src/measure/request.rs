//! A report asked for in words — the API's query string, the command line's flags — checked by
//! one set of rules, so both refuse the same things for the same reasons.

use chrono::{Duration, NaiveDate};
use rekindle_core::calendar::Grain;
use rekindle_rules::Lang;

use super::cohorts::CohortBy;
use super::{Kind, Query, Window};

/// The longest window a report covers, and the longest by day.
pub const MAX_DAYS: i64 = 1_100;
pub const MAX_DAILY: i64 = 120;

#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    pub kind: &'a str,
    /// First local day (YYYY-MM-DD); default 89 days before `to`.
    pub from: Option<&'a str>,
    /// Last local day; default today.
    pub to: Option<&'a str>,
    /// Default `week`.
    pub grain: Option<&'a str>,
    /// Default `first_order`.
    pub by: Option<&'a str>,
    /// Default 30; for journeys and experiments (their conversion window) 7.
    pub days: Option<i64>,
}

/// Why a request was refused: the parameter, and the reason in each language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    zh: String,
    en: String,
}

impl Refusal {
    fn new(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { field, zh: zh.into(), en: en.into() }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl Request<'_> {
    /// The query, with defaults filled in from `today` (the store's local day).
    pub fn query(&self, today: NaiveDate) -> Result<Query, Refusal> {
        let kind = Kind::parse(self.kind).ok_or_else(|| {
            let all = Kind::ALL.map(Kind::as_str).join(", ");
            Refusal::new("kind", format!("没有这种报表，可选：{all}"), format!("no such report; one of: {all}"))
        })?;
        let day = |field: &'static str, text: Option<&str>| {
            text.map(|t| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| Refusal::new(field, "日期格式应为 YYYY-MM-DD", "must be a date, YYYY-MM-DD"))
            })
            .transpose()
        };
        let to = day("to", self.to)?.unwrap_or(today);
        let from = day("from", self.from)?.unwrap_or(to - Duration::days(89));
        if from > to {
            return Err(Refusal::new("from", "开始日期不能晚于结束日期", "must not be after `to`"));
        }
        let grain = match self.grain {
            None => Grain::Week,
            Some(g) => Grain::parse(g)
                .ok_or_else(|| Refusal::new("grain", "应为 day、week 或 month", "must be day, week or month"))?,
        };
        let span = (to - from).num_days() + 1;
        if span > MAX_DAYS {
            return Err(Refusal::new("from", "时间范围最长 1100 天", "the window is at most 1,100 days"));
        }
        if grain == Grain::Day && span > MAX_DAILY {
            return Err(Refusal::new(
                "grain",
                "按天统计时范围最长 120 天，请按周或按月",
                "by day, the window is at most 120 days; use week or month",
            ));
        }
        let by = match self.by {
            None => CohortBy::FirstOrder,
            Some(b) => CohortBy::parse(b).ok_or_else(|| {
                Refusal::new(
                    "by",
                    "应为 first_order、source、first_live 或 first_category",
                    "must be first_order, source, first_live or first_category",
                )
            })?,
        };
        // A journey's conversion window is a week unless asked; churn and waking count a month.
        let days = self.days.unwrap_or(if kind.needs_facts() || kind == Kind::Schedule { 7 } else { 30 });
        if !(1..=365).contains(&days) {
            return Err(Refusal::new("days", "天数应在 1 到 365 之间", "must be between 1 and 365"));
        }
        Ok(Query { kind, window: Window { from, to }, grain, by, days })
    }
}
