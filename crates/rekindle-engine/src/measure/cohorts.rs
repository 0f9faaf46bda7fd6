//! Retention by cohort: buyers grouped by the period of their first order (or by where they
//! came from, their first live session or their first order's category), and for each period
//! after it how many ordered again, how many were active at all, and what they spent.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rekindle_core::calendar::{Calendar, Grain, period_start, periods_between};
use rekindle_core::profile::Profile;
use serde::Serialize;

use super::table::{Column, Table, rate_cell};
use super::{Window, rate};

/// What groups buyers into cohorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortBy {
    /// The period of the first order.
    FirstOrder,
    /// The `source` of the first `Contact Added` (live, referral, offline, ads).
    Source,
    /// The first live session the buyer was in.
    FirstLive,
    /// The first category of the first order.
    FirstCategory,
}

impl CohortBy {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "first_order" | "first-order" => Some(Self::FirstOrder),
            "source" => Some(Self::Source),
            "first_live" | "first-live" => Some(Self::FirstLive),
            "first_category" | "first-category" => Some(Self::FirstCategory),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstOrder => "first_order",
            Self::Source => "source",
            Self::FirstLive => "first_live",
            Self::FirstCategory => "first_category",
        }
    }
}

/// Period `k` after a cohort's first: period 0 holds the first orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub period: u32,
    /// Buyers for whom this period has begun: all of a first-order cohort, and in a cohort by
    /// source (whose buyers started in different periods) those who started early enough.
    pub eligible: u64,
    /// Buyers of the cohort who ordered in this period.
    pub ordered: u64,
    /// Buyers of the cohort with any event in this period.
    pub active: u64,
    /// What the cohort's orders in this period came to, in fen.
    pub revenue_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    /// The first period's first day (by first order), or the source, session or category.
    pub key: String,
    pub buyers: u64,
    /// Periods since the cohort's first that have begun by today: cells beyond are unknown,
    /// not zero.
    pub cells: Vec<Cell>,
}

impl Cohort {
    /// Lifetime value per buyer after each period, in fen: the sum over periods of revenue
    /// per eligible buyer (for a first-order cohort, cumulative revenue over its buyers).
    pub fn ltv_fen(&self) -> Vec<f64> {
        let mut total = 0.0;
        self.cells
            .iter()
            .map(|c| {
                total += c.revenue_fen as f64 / c.eligible.max(1) as f64;
                total
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohorts {
    pub grain: Grain,
    pub by: CohortBy,
    pub cohorts: Vec<Cohort>,
}

/// Buyers whose first order falls in `window`, in cohorts by `by`, followed in periods of
/// `grain` up to today.
pub fn cohorts<'a>(
    profiles: impl Iterator<Item = &'a Profile>,
    cal: &Calendar,
    today: NaiveDate,
    window: Window,
    grain: Grain,
    by: CohortBy,
) -> Cohorts {
    let mut groups: BTreeMap<String, (u64, Vec<Cell>)> = BTreeMap::new();
    for p in profiles {
        let Some((_, first)) = p.orders.iter().map(|(_, o)| (o.at, o)).min_by_key(|(at, _)| *at) else { continue };
        let first_day = cal.day(first.at);
        if !window.contains(first_day) {
            continue;
        }
        let start = period_start(grain, first_day);
        let key = match by {
            CohortBy::FirstOrder => start.to_string(),
            CohortBy::Source => p.acquired().map_or("unknown", |(_, s)| s).to_string(),
            CohortBy::FirstLive => p.first_live().map_or("none", |(_, s)| s).to_string(),
            CohortBy::FirstCategory => {
                first.items.iter().filter_map(|i| i.category()).min().unwrap_or("none").to_string()
            }
        };
        let width = periods_between(grain, start, today).max(0) as usize + 1;
        let (buyers, cells) = groups.entry(key).or_default();
        *buyers += 1;
        if cells.len() < width {
            let from = cells.len();
            cells.extend((from..width).map(|k| Cell { period: k as u32, ..Cell::default() }));
        }
        let mut ordered = vec![false; width];
        for (_, o) in &p.orders {
            let k = periods_between(grain, start, cal.day(o.at));
            if let Some(cell) = usize::try_from(k).ok().filter(|k| *k < width) {
                ordered[cell] = true;
                cells[cell].revenue_fen = cells[cell].revenue_fen.saturating_add(o.revenue_fen);
            }
        }
        let mut active = vec![false; width];
        for d in &p.active_days {
            let day = NaiveDate::default() + chrono::Duration::days(i64::from(*d));
            if let Some(cell) = usize::try_from(periods_between(grain, start, day)).ok().filter(|k| *k < width) {
                active[cell] = true;
            }
        }
        for (k, cell) in cells.iter_mut().enumerate().take(width) {
            cell.eligible += 1;
            cell.ordered += u64::from(ordered[k]);
            cell.active += u64::from(active[k] || ordered[k]);
        }
    }
    let mut cohorts: Vec<Cohort> =
        groups.into_iter().map(|(key, (buyers, cells))| Cohort { key, buyers, cells }).collect();
    if by != CohortBy::FirstOrder {
        cohorts.sort_by(|a, b| b.buyers.cmp(&a.buyers).then_with(|| a.key.cmp(&b.key)));
    }
    Cohorts { grain, by, cohorts }
}

impl Cohorts {
    /// One row per cohort and period: buyers, who ordered and who was active (counts and
    /// rates), revenue and LTV so far.
    pub fn table(&self) -> Table {
        const COLUMNS: [Column; 9] = [
            Column::words("cohort", "同期群", "cohort"),
            Column::new("buyers", "首购人数", "buyers"),
            Column::new("period", "第几期", "period"),
            Column::new("ordered", "复购人数", "ordered"),
            Column::new("ordered_rate", "复购率", "ordered_rate"),
            Column::new("active", "活跃人数", "active"),
            Column::new("active_rate", "活跃率", "active_rate"),
            Column::new("revenue_fen", "销售额(分)", "revenue_fen"),
            Column::new("ltv_fen", "人均累计贡献(分)", "ltv_fen"),
        ];
        let mut rows = Vec::new();
        for c in &self.cohorts {
            for (cell, ltv) in c.cells.iter().zip(c.ltv_fen()) {
                rows.push(vec![
                    c.key.clone(),
                    c.buyers.to_string(),
                    cell.period.to_string(),
                    cell.ordered.to_string(),
                    rate_cell(rate(cell.ordered, cell.eligible)),
                    cell.active.to_string(),
                    rate_cell(rate(cell.active, cell.eligible)),
                    cell.revenue_fen.to_string(),
                    format!("{ltv:.0}"),
                ]);
            }
        }
        Table { columns: COLUMNS.to_vec(), rows }
    }
}
