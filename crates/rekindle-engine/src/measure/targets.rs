//! Team targets' progress: each target's rate over the latest 30 days whose outcome is known
//! (a 7-day repurchase rate reads the 30 days ending a week ago), beside the 30 days before, by
//! the same definitions as the reports.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rekindle_core::calendar::{Calendar, Grain};
use rekindle_core::lifecycle::LifecycleConfig;
use rekindle_core::profile::Profile;
use rekindle_core::targets::{Kpi, Team, TeamTarget};
use serde::Serialize;

use super::rates::{self, repurchase_total};
use super::{Window, rate};

/// Days a target's rate is read over.
pub const SPAN_DAYS: i64 = 30;

/// A rate over a window: the share and what it is a share of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Reading {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub part: u64,
    pub whole: u64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    pub team: Team,
    pub kpi: Kpi,
    pub target: f64,
    pub current: Reading,
    pub previous: Reading,
    /// The current rate reached the target; none without a rate.
    pub met: Option<bool>,
}

/// Every target's progress as of `now`.
pub fn progress<'a, I>(
    people: impl Fn() -> I,
    cal: &Calendar,
    lifecycle: &LifecycleConfig,
    now: DateTime<Utc>,
    targets: &[TeamTarget],
) -> Vec<Progress>
where
    I: Iterator<Item = &'a Profile>,
{
    let today = cal.day(now);
    targets
        .iter()
        .map(|t| {
            let to = today - Duration::days(t.kpi.maturity_days());
            let current = Window { from: to - Duration::days(SPAN_DAYS - 1), to };
            let previous =
                Window { from: current.from - Duration::days(SPAN_DAYS), to: current.from - Duration::days(1) };
            let read = |w: Window| reading(people(), cal, lifecycle, now, today, w, t.kpi);
            let current = read(current);
            Progress {
                team: t.team,
                kpi: t.kpi,
                target: t.target,
                met: current.rate.map(|r| r >= t.target),
                current,
                previous: read(previous),
            }
        })
        .collect()
}

fn reading<'a>(
    people: impl Iterator<Item = &'a Profile>,
    cal: &Calendar,
    lifecycle: &LifecycleConfig,
    now: DateTime<Utc>,
    today: NaiveDate,
    w: Window,
    kpi: Kpi,
) -> Reading {
    let (part, whole) = match kpi {
        Kpi::Repurchase7d | Kpi::Repurchase30d => {
            let total = repurchase_total(&rates::repurchase(people, cal, today, w, Grain::Month));
            match kpi {
                Kpi::Repurchase7d => (total.repurchased_7d, total.matured_7d),
                _ => (total.repurchased_30d, total.matured_30d),
            }
        }
        Kpi::Wakeup14d => {
            let w = rates::wake_up(people, cal, lifecycle, now, w, 14);
            (w.touched.woke + w.untouched.woke, w.touched.silent + w.untouched.silent)
        }
        Kpi::ReferralShare => rates::referral(people, cal, w, Grain::Month)
            .iter()
            .fold((0, 0), |(p, n), (_, r)| (p + r.referred, n + r.new_buyers)),
        Kpi::Tickets48h => rates::tickets(people, cal, now, w, Grain::Month)
            .iter()
            .fold((0, 0), |(p, n), (_, r)| (p + r.resolved_48h, n + r.known)),
    };
    Reading { from: w.from, to: w.to, part, whole, rate: rate(part, whole) }
}
