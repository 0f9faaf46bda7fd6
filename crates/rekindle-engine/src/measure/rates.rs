//! Rates by period (docs/reports.md has each definition): repurchase of new buyers within 7
//! and 30 days, N-day churn, the wake-up rate of people gone silent (touched and untouched),
//! the referral share of new buyers and after-sales tickets resolved within 48 hours.
//!
//! A rate counts only people whose outcome is known by today: a buyer of yesterday is not yet
//! a "did not repurchase within 7 days".

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rekindle_core::calendar::{Calendar, Grain, period_start};
use rekindle_core::lifecycle::LifecycleConfig;
use rekindle_core::profile::Profile;
use rekindle_models::lift::{Lift, lift};
use serde::Serialize;

use super::table::{Column, Table, rate_cell};
use super::{Window, rate};

/// Figures kept per period: their columns after the period's, and their cells.
pub trait Figures {
    /// The period's column first, then one per cell.
    const COLUMNS: &'static [Column];
    fn cells(&self) -> Vec<String>;
}

/// One row per period, and a last row (`total`) when given.
pub fn period_table<T: Figures>(rows: &[(NaiveDate, T)], total: Option<&T>) -> Table {
    let line = |label: String, f: &T| std::iter::once(label).chain(f.cells()).collect();
    let mut out: Vec<Vec<String>> = rows.iter().map(|(d, f)| line(d.to_string(), f)).collect();
    out.extend(total.map(|t| line("total".into(), t)));
    Table { columns: T::COLUMNS.to_vec(), rows: out }
}

/// Distinct local purchase days, oldest first.
fn purchase_days(p: &Profile, cal: &Calendar) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = p.orders.iter().map(|(_, o)| cal.day(o.at)).collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// The periods of `window`, each with a zeroed row.
fn rows<T: Default>(window: Window, grain: Grain) -> Vec<(NaiveDate, T)> {
    window.periods(grain).into_iter().map(|d| (d, T::default())).collect()
}

fn row_of<T>(rows: &mut [(NaiveDate, T)], grain: Grain, day: NaiveDate) -> Option<&mut T> {
    let start = period_start(grain, day);
    rows.iter_mut().find(|(d, _)| *d == start).map(|(_, r)| r)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Repurchase {
    /// Buyers whose first order was in the period.
    pub new_buyers: u64,
    /// Of them, those whose first 7 days have passed, and who ordered again on another day
    /// within them.
    pub matured_7d: u64,
    pub repurchased_7d: u64,
    pub matured_30d: u64,
    pub repurchased_30d: u64,
}

impl Repurchase {
    pub fn rate_7d(&self) -> Option<f64> {
        rate(self.repurchased_7d, self.matured_7d)
    }

    pub fn rate_30d(&self) -> Option<f64> {
        rate(self.repurchased_30d, self.matured_30d)
    }

    fn add(&mut self, o: &Repurchase) {
        self.new_buyers += o.new_buyers;
        self.matured_7d += o.matured_7d;
        self.repurchased_7d += o.repurchased_7d;
        self.matured_30d += o.matured_30d;
        self.repurchased_30d += o.repurchased_30d;
    }
}

/// The 7-day and 30-day repurchase rates of new buyers, by period of their first order, and
/// over the whole window (the last row).
pub fn repurchase<'a>(
    profiles: impl Iterator<Item = &'a Profile>,
    cal: &Calendar,
    today: NaiveDate,
    window: Window,
    grain: Grain,
) -> Vec<(NaiveDate, Repurchase)> {
    let mut out: Vec<(NaiveDate, Repurchase)> = rows(window, grain);
    for p in profiles {
        let days = purchase_days(p, cal);
        let Some(first) = days.first().copied().filter(|d| window.contains(*d)) else { continue };
        let Some(r) = row_of(&mut out, grain, first) else { continue };
        r.new_buyers += 1;
        let again = days.get(1).map(|d| (*d - first).num_days());
        for (n, matured, repurchased) in
            [(7, &mut r.matured_7d, &mut r.repurchased_7d), (30, &mut r.matured_30d, &mut r.repurchased_30d)]
        {
            // Known once the n days after the first order's day have all passed.
            if first + Duration::days(n) < today {
                *matured += 1;
                *repurchased += u64::from(again.is_some_and(|a| a <= n));
            }
        }
    }
    out
}

pub fn repurchase_total(rows: &[(NaiveDate, Repurchase)]) -> Repurchase {
    let mut total = Repurchase::default();
    for (_, r) in rows {
        total.add(r);
    }
    total
}

impl Figures for Repurchase {
    const COLUMNS: &'static [Column] = &[
        Column::words("period", "首购周期", "period"),
        Column::new("new_buyers", "新客数", "new_buyers"),
        Column::new("matured_7d", "满7天人数", "matured_7d"),
        Column::new("repurchased_7d", "7日内复购", "repurchased_7d"),
        Column::new("rate_7d", "7日复购率", "rate_7d"),
        Column::new("matured_30d", "满30天人数", "matured_30d"),
        Column::new("repurchased_30d", "30日内复购", "repurchased_30d"),
        Column::new("rate_30d", "30日复购率", "rate_30d"),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.new_buyers.to_string(),
            self.matured_7d.to_string(),
            self.repurchased_7d.to_string(),
            rate_cell(self.rate_7d()),
            self.matured_30d.to_string(),
            self.repurchased_30d.to_string(),
            rate_cell(self.rate_30d()),
        ]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Churn {
    /// Buyers who ordered in the `days` before the period began…
    pub base: u64,
    /// …and did not order in the `days` from its first day.
    pub churned: u64,
}

impl Churn {
    pub fn rate(&self) -> Option<f64> {
        rate(self.churned, self.base)
    }
}

/// N-day churn by period: of the people who ordered in the N days before a period's first day,
/// the share with no order in the N days from it. Periods whose N days have not all passed are
/// left out.
pub fn churn<'a>(
    profiles: impl Iterator<Item = &'a Profile>,
    cal: &Calendar,
    today: NaiveDate,
    window: Window,
    grain: Grain,
    days: i64,
) -> Vec<(NaiveDate, Churn)> {
    let mut out: Vec<(NaiveDate, Churn)> = rows(window, grain);
    out.retain(|(start, _)| *start + Duration::days(days) <= today);
    let n = Duration::days(days);
    for p in profiles {
        let purchased = purchase_days(p, cal);
        let any = |from: NaiveDate, to: NaiveDate| purchased.iter().any(|d| (from..to).contains(d));
        for (start, c) in &mut out {
            if any(*start - n, *start) {
                c.base += 1;
                c.churned += u64::from(!any(*start, *start + n));
            }
        }
    }
    out
}

impl Figures for Churn {
    const COLUMNS: &'static [Column] = &[
        Column::new("period", "周期起始", "period"),
        Column::new("base", "此前下单人数", "base"),
        Column::new("churned", "此后未下单", "churned"),
        Column::new("churn_rate", "流失率", "churn_rate"),
    ];

    fn cells(&self) -> Vec<String> {
        vec![self.base.to_string(), self.churned.to_string(), rate_cell(self.rate())]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct WakeGroup {
    /// Times people went silent in the window (known outcome).
    pub silent: u64,
    /// Of them, how many ordered again within N days.
    pub woke: u64,
}

impl WakeGroup {
    pub fn rate(&self) -> Option<f64> {
        rate(self.woke, self.silent)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WakeUp {
    pub days: i64,
    /// Sent a message between going silent and waking (or the N days running out).
    pub touched: WakeGroup,
    pub untouched: WakeGroup,
    /// Touched against untouched. Observational: who was touched was chosen (by journeys), so
    /// a journey's causal effect is its holdout comparison, in the journeys report.
    pub lift: Option<Lift>,
}

/// The wake-up rate: every time a buyer went silent (their lifecycle's silence threshold
/// passed without an order) on a day in the window, whether they ordered again within `days`
/// days, split by whether Rekindle touched them in between. Silences whose `days` have not all
/// passed by `now` are left out.
pub fn wake_up<'a>(
    profiles: impl Iterator<Item = &'a Profile>,
    cal: &Calendar,
    lifecycle: &LifecycleConfig,
    now: DateTime<Utc>,
    window: Window,
    days: i64,
) -> WakeUp {
    let (mut touched, mut untouched) = (WakeGroup::default(), WakeGroup::default());
    let n = Duration::days(days);
    for p in profiles {
        let mut times: Vec<DateTime<Utc>> = p.orders.iter().map(|(_, o)| o.at).collect();
        if times.is_empty() {
            continue;
        }
        times.sort_unstable();
        let quiet = lifecycle.silent_after(p);
        for (i, last) in times.iter().enumerate() {
            let silent_at = *last + quiet;
            let next = times.get(i + 1).copied();
            if next.is_some_and(|t| t <= silent_at) || !window.contains(cal.day(silent_at)) || silent_at + n > now {
                continue;
            }
            let woke = next.filter(|t| *t <= silent_at + n);
            let until = woke.unwrap_or(silent_at + n);
            let was_touched = p.touches.iter().any(|t| (silent_at..until).contains(t));
            let g = if was_touched { &mut touched } else { &mut untouched };
            g.silent += 1;
            g.woke += u64::from(woke.is_some());
        }
    }
    WakeUp { days, touched, untouched, lift: lift((touched.silent, touched.woke), (untouched.silent, untouched.woke)) }
}

impl WakeUp {
    pub fn table(&self) -> Table {
        let columns = vec![
            Column::words("group", "分组", "group"),
            Column::new("silent", "沉默人次", "silent"),
            Column::new("woke", "唤醒人次", "woke"),
            Column::new("wake_rate", "唤醒率", "wake_rate"),
        ];
        let all = WakeGroup {
            silent: self.touched.silent + self.untouched.silent,
            woke: self.touched.woke + self.untouched.woke,
        };
        let rows = [("touched", &self.touched), ("untouched", &self.untouched), ("all", &all)]
            .into_iter()
            .map(|(k, g)| vec![k.to_string(), g.silent.to_string(), g.woke.to_string(), rate_cell(g.rate())])
            .collect();
        Table { columns, rows }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Referral {
    pub new_buyers: u64,
    /// New buyers who came on a friend's word ([`Profile::referred`]).
    pub referred: u64,
}

impl Referral {
    pub fn share(&self) -> Option<f64> {
        rate(self.referred, self.new_buyers)
    }
}

/// The referral share of new buyers, by period of their first order.
pub fn referral<'a>(
    profiles: impl Iterator<Item = &'a Profile>,
    cal: &Calendar,
    window: Window,
    grain: Grain,
) -> Vec<(NaiveDate, Referral)> {
    let mut out: Vec<(NaiveDate, Referral)> = rows(window, grain);
    for p in profiles {
        let Some(first) = p.first_order().map(|t| cal.day(t)).filter(|d| window.contains(*d)) else { continue };
        if let Some(r) = row_of(&mut out, grain, first) {
            r.new_buyers += 1;
            r.referred += u64::from(p.referred());
        }
    }
    out
}

impl Figures for Referral {
    const COLUMNS: &'static [Column] = &[
        Column::new("period", "首购周期", "period"),
        Column::new("new_buyers", "新客数", "new_buyers"),
        Column::new("referred", "老带新", "referred"),
        Column::new("referral_share", "老带新占比", "referral_share"),
    ];

    fn cells(&self) -> Vec<String> {
        vec![self.new_buyers.to_string(), self.referred.to_string(), rate_cell(self.share())]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tickets {
    pub opened: u64,
    /// Opened tickets whose 48 hours have passed or which were resolved.
    pub known: u64,
    pub resolved_48h: u64,
    pub still_open: u64,
}

impl Tickets {
    pub fn rate_48h(&self) -> Option<f64> {
        rate(self.resolved_48h, self.known)
    }
}

/// After-sales tickets by period opened: how many were resolved within 48 hours.
pub fn tickets<'a>(
    profiles: impl Iterator<Item = &'a Profile>,
    cal: &Calendar,
    now: DateTime<Utc>,
    window: Window,
    grain: Grain,
) -> Vec<(NaiveDate, Tickets)> {
    let mut out: Vec<(NaiveDate, Tickets)> = rows(window, grain);
    let limit = Duration::hours(48);
    for p in profiles {
        for (opened, resolved) in p.tickets() {
            let day = cal.day(opened);
            let Some(t) = window.contains(day).then(|| row_of(&mut out, grain, day)).flatten() else { continue };
            t.opened += 1;
            t.still_open += u64::from(resolved.is_none());
            let within = resolved.is_some_and(|r| r - opened <= limit);
            if within || opened + limit <= now {
                t.known += 1;
                t.resolved_48h += u64::from(within);
            }
        }
    }
    out
}

impl Figures for Tickets {
    const COLUMNS: &'static [Column] = &[
        Column::new("period", "周期起始", "period"),
        Column::new("opened", "售后工单", "opened"),
        Column::new("resolved_48h", "48小时内解决", "resolved_48h"),
        Column::new("rate_48h", "48小时解决率", "rate_48h"),
        Column::new("still_open", "未解决", "still_open"),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.opened.to_string(),
            self.resolved_48h.to_string(),
            rate_cell(self.rate_48h()),
            self.still_open.to_string(),
        ]
    }
}
