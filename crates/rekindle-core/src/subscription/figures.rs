//! The subscription figures, read off the book: subscribers now; per store month the starts,
//! pauses, resumes, cancellations, churn and what was delivered; how shipments were answered;
//! and how many subscriptions of each start month survive 30, 60 and 90 days.
//!
//! Definitions:
//! - *subscribed*: started and not cancelled (a paused subscriber is still one); *active*: not
//!   paused either;
//! - *churn rate* of a month: of the subscriptions subscribed when it began, the share cancelled
//!   during it (one started and cancelled within the month is a cancellation, not churn);
//! - *answers*: shipments whose cut-off fell in the window and has passed, except those a start
//!   confirmed (nobody was asked);
//! - *delivered*: shipments that go out (confirmed, or unanswered under `on_no_answer: ship`),
//!   counted in the month of their ship date, revenue at the price in force for each.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::book::Book;
use super::schedule::{ShipmentStatus, Status, Timeline, timeline_from, year_before};
use super::settings::Settings;
use crate::calendar::{Calendar, Grain, nth_period, period_start, periods_between};

/// The ages at which survival is read, in days.
pub const SURVIVAL_DAYS: [i64; 3] = [30, 60, 90];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionFigures {
    pub active_now: u64,
    pub paused_now: u64,
    /// Every store month from `from`'s to `to`'s, whole months.
    pub months: Vec<MonthFigures>,
    pub answers: AnswerFigures,
    /// By start month, for the months from `from`'s to `to`'s.
    pub cohorts: Vec<Cohort>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionMonth))]
pub struct MonthFigures {
    /// The month's first day.
    pub month: NaiveDate,
    pub started: u64,
    pub paused: u64,
    pub resumed: u64,
    pub cancelled: u64,
    /// Subscribed when the month began.
    pub subscribed_at_start: u64,
    /// Of those, cancelled during the month.
    pub churned: u64,
    pub churn_rate: Option<f64>,
    pub shipments_delivered: u64,
    pub units_delivered: u64,
    pub revenue_fen: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ShipmentAnswers))]
pub struct AnswerFigures {
    /// Shipments whose cut-off passed in the window.
    pub shipments: u64,
    pub confirmed: u64,
    pub skipped: u64,
    pub no_answer: u64,
    pub confirmed_rate: Option<f64>,
    pub skipped_rate: Option<f64>,
    pub no_answer_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionCohort))]
pub struct Cohort {
    pub month: NaiveDate,
    pub started: u64,
    /// At 30, 60 and 90 days.
    pub survival: Vec<Survival>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionSurvival))]
pub struct Survival {
    pub days: i64,
    /// Started long enough ago to be that old now: the rates' base.
    pub matured: u64,
    pub subscribed: u64,
    pub active: u64,
    pub subscribed_rate: Option<f64>,
    pub active_rate: Option<f64>,
}

fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// The figures of the store months from `from`'s to `to`'s (store days), as of `now`.
pub fn figures(
    book: &Book,
    settings: &Settings,
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> SubscriptionFigures {
    let cal = Calendar::new(tz);
    let first = period_start(Grain::Month, from.min(to));
    let count = periods_between(Grain::Month, first, to.max(from)) + 1;
    let months: Vec<NaiveDate> = (0..count).map(|k| nth_period(Grain::Month, first, k)).collect();
    let end_day = nth_period(Grain::Month, first, count);
    let horizon = end_day.pred_opt().unwrap_or(end_day);
    let (window_start, window_end) = (cal.midnight(first), cal.midnight(end_day).min(now));
    let index =
        |day: NaiveDate| (first..end_day).contains(&day).then(|| periods_between(Grain::Month, first, day) as usize);
    let mut f = SubscriptionFigures {
        months: months.iter().map(|m| MonthFigures { month: *m, ..MonthFigures::default() }).collect(),
        ..SubscriptionFigures::default()
    };
    let mut cohorts: BTreeMap<usize, Vec<Timeline>> = BTreeMap::new();
    for sub in book.subscriptions.values() {
        let tl = timeline_from(sub, settings, tz, year_before(first), horizon);
        let Some(started) = tl.started_at else { continue };
        match tl.status_at(now) {
            Some(Status::Active) => f.active_now += 1,
            Some(Status::Paused) => f.paused_now += 1,
            _ => {}
        }
        let mut previous = None;
        for (at, status) in &tl.transitions {
            let Some(m) = index(cal.day(*at)) else {
                previous = Some(*status);
                continue;
            };
            let row = &mut f.months[m];
            match (previous, status) {
                (None, _) => row.started += 1,
                (_, Status::Paused) => row.paused += 1,
                (Some(Status::Paused), Status::Active) => row.resumed += 1,
                (_, Status::Cancelled) => row.cancelled += 1,
                _ => {}
            }
            previous = Some(*status);
        }
        for (m, row) in months.iter().zip(f.months.iter_mut()) {
            let begins = cal.midnight(*m);
            let ends = cal.midnight(nth_period(Grain::Month, *m, 1));
            let before = tl.transitions.iter().take_while(|t| t.0 < begins).last().map(|t| t.1);
            if matches!(before, Some(Status::Active | Status::Paused)) {
                row.subscribed_at_start += 1;
                let cancelled =
                    tl.transitions.iter().any(|t| t.1 == Status::Cancelled && (begins..ends).contains(&t.0));
                row.churned += u64::from(cancelled);
            }
        }
        for s in &tl.shipments {
            if let Some(m) = index(s.ship_on)
                && s.goes_out(settings, tz, now) == Some(true)
            {
                let row = &mut f.months[m];
                row.shipments_delivered += 1;
                row.units_delivered += u64::from(s.quantity);
                row.revenue_fen = row.revenue_fen.saturating_add(s.amount_fen());
            }
            let cutoff = settings.cutoff(s.ship_on, tz);
            if s.confirmed_by_start || !(window_start..window_end).contains(&cutoff) || cutoff > now {
                continue;
            }
            let a = &mut f.answers;
            a.shipments += 1;
            match s.status(settings, tz, now) {
                ShipmentStatus::Confirmed => a.confirmed += 1,
                ShipmentStatus::Skipped => a.skipped += 1,
                _ => a.no_answer += 1,
            }
        }
        if let Some(m) = index(cal.day(started)) {
            cohorts.entry(m).or_default().push(tl);
        }
    }
    for row in &mut f.months {
        row.churn_rate = share(row.churned, row.subscribed_at_start);
    }
    let a = &mut f.answers;
    (a.confirmed_rate, a.skipped_rate, a.no_answer_rate) =
        (share(a.confirmed, a.shipments), share(a.skipped, a.shipments), share(a.no_answer, a.shipments));
    f.cohorts = months
        .iter()
        .enumerate()
        .map(|(i, m)| cohort(*m, cohorts.get(&i).map_or(&[][..], Vec::as_slice), now))
        .collect();
    f
}

fn cohort(month: NaiveDate, members: &[Timeline], now: DateTime<Utc>) -> Cohort {
    let survival = SURVIVAL_DAYS
        .iter()
        .map(|&days| {
            let mut s =
                Survival { days, matured: 0, subscribed: 0, active: 0, subscribed_rate: None, active_rate: None };
            for tl in members {
                let Some(at) = tl.started_at.map(|t| t + Duration::days(days)).filter(|at| *at <= now) else {
                    continue;
                };
                s.matured += 1;
                let status = tl.status_at(at);
                s.subscribed += u64::from(matches!(status, Some(Status::Active | Status::Paused)));
                s.active += u64::from(status == Some(Status::Active));
            }
            s.subscribed_rate = share(s.subscribed, s.matured);
            s.active_rate = share(s.active, s.matured);
            s
        })
        .collect();
    Cohort { month, started: members.len() as u64, survival }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PersonId;
    use crate::events;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn churn_counts_who_was_subscribed_and_survival_waits_for_its_days() {
        let who = PersonId(uuid::Uuid::nil());
        let mut book = Book::default();
        let mut log = |id: &str, at: &str, name: &str| {
            let p = json!({"subscription_id": id, "sku": "milk", "every_days": 7});
            assert!(book.apply(who, t(at), name, &p));
        };
        log("s1", "2026-10-05T04:00:00Z", events::SUBSCRIPTION_STARTED);
        log("s1", "2026-11-20T04:00:00Z", events::SUBSCRIPTION_CANCELLED);
        log("s2", "2026-10-10T04:00:00Z", events::SUBSCRIPTION_STARTED);
        log("s2", "2026-10-25T04:00:00Z", events::SUBSCRIPTION_PAUSED);
        log("s3", "2026-11-03T04:00:00Z", events::SUBSCRIPTION_STARTED);
        log("s4", "2026-11-10T04:00:00Z", events::SUBSCRIPTION_STARTED);
        log("s4", "2026-11-15T04:00:00Z", events::SUBSCRIPTION_CANCELLED);
        let tz = chrono_tz::Asia::Shanghai;
        let f = figures(&book, &Settings::default(), tz, d("2026-10-01"), d("2026-12-31"), t("2027-01-15T00:00:00Z"));
        assert_eq!((f.active_now, f.paused_now), (1, 1));
        let rows: Vec<(u64, u64, u64, u64, u64, Option<f64>)> = f
            .months
            .iter()
            .map(|m| (m.started, m.paused, m.cancelled, m.subscribed_at_start, m.churned, m.churn_rate))
            .collect();
        // November: s4 came and went within it (a cancellation, not churn); s1 churned.
        assert_eq!(rows, [(2, 1, 0, 0, 0, None), (2, 0, 2, 2, 1, Some(0.5)), (0, 0, 0, 2, 0, Some(0.0))]);
        let survival = |c: &Cohort| -> Vec<(u64, u64, u64)> {
            c.survival.iter().map(|s| (s.matured, s.subscribed, s.active)).collect()
        };
        assert_eq!(f.cohorts[0].started, 2);
        // October: at 30 days both subscribed (s2 paused), at 60 only s2, paused.
        assert_eq!(survival(&f.cohorts[0]), [(2, 2, 1), (2, 1, 0), (2, 1, 0)]);
        // November's 90 days have not passed yet.
        assert_eq!(survival(&f.cohorts[1]), [(2, 1, 1), (2, 1, 1), (0, 0, 0)]);
        assert_eq!(f.cohorts[1].survival[2].subscribed_rate, None);
        assert_eq!(f.cohorts[2].started, 0);
    }
}
