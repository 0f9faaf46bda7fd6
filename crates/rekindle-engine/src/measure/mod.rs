//! Measurement (DESIGN.md capability 11; definitions in docs/reports.md): the dashboard's
//! figures ([`dashboard`]), cohort matrices,
//! repurchase, churn and wake-up rates, LTV, the acquisition funnel, referral share and
//! after-sales resolution — each computed in one pass over the folded audience, in the store's
//! calendar, so a report never queries the log and never holds up ingestion. Journeys'
//! attribution and experiments also read the store's plain rows of entries, messages and
//! coupons over the window ([`Facts`]), and do the arithmetic here.
//!
//! Every report is a typed value for the API and the console, and a [`Table`] for CSV and the
//! command line.

pub mod attribution;
pub mod cohorts;
pub mod dashboard;
pub mod experiments;
pub mod funnel;
pub mod programme;
mod query;
pub mod rates;
mod request;
pub mod schedule;
mod table;
pub mod targets;
pub mod winner;

use chrono::NaiveDate;
use rekindle_core::calendar::{Grain, period_start};

pub use attribution::Facts;
pub use query::{Answer, Kind, Period, Query, answer};
pub use request::{MAX_DAILY, MAX_DAYS, Refusal, Request};
pub use table::{Column, Table};

/// Local days `from..=to` of the store's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day)
    }

    /// The starts of the periods of `grain` the window touches, oldest first.
    pub fn periods(&self, grain: Grain) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut at = period_start(grain, self.from);
        while at <= self.to {
            out.push(at);
            at = rekindle_core::calendar::nth_period(grain, at, 1);
        }
        out
    }
}

/// A share, none of nobody.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests;
