//! A subscription's shipments, derived from its facts, and the shipment list the order system
//! reads.
//!
//! The rules:
//! - the first shipment is on `first_ship_on`, else the start day + `every_days` (store days);
//! - the next shipment after one is its *original* date + `every_days`: a skipped or moved
//!   shipment keeps the rhythm;
//! - a move (`Shipment Rescheduled`) changes that one shipment's date, never the cadence;
//! - new terms (`Subscription Changed`) apply to every shipment whose cut-off had not passed
//!   when they came; a new cadence counts from the shipment already on the calendar;
//! - a pause or cancellation drops the shipments whose cut-off had not passed (the ones past it
//!   are with the warehouse); a resume starts again on its `next_ship_on`, else the resume day +
//!   `every_days`;
//! - the first shipment of a start or resume whose cut-off had already passed is confirmed by
//!   that act (nobody is asked about a box that is already being packed).

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::book::Book;
use super::plan::{Change, Reply, Subscription};
use super::settings::{OnNoAnswer, Settings};
use crate::PersonId;
use crate::outreach::local_day;

/// No schedule is derived past this day.
const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2300, 12, 31) {
    Some(d) => d,
    None => panic!("a valid date"),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionStatus))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Paused,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    /// Its confirmation is not due yet.
    Scheduled,
    /// The confirmation is due or was sent; answers are taken until the cut-off.
    AwaitingAnswer,
    Confirmed,
    Skipped,
    /// The cut-off passed without an answer; [`OnNoAnswer`] says whether it goes out.
    NoAnswer,
}

/// One shipment of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionShipment))]
pub struct Shipment {
    /// The date the rhythm gave it.
    pub due_on: NaiveDate,
    /// The date it ships (`due_on` unless it was moved).
    pub ship_on: NaiveDate,
    pub quantity: u32,
    pub unit_price_fen: i64,
    /// The latest answer about it, under any date it has had.
    pub reply: Option<Reply>,
    /// When its confirmation was first asked.
    pub requested_at: Option<DateTime<Utc>>,
    /// The start or resume came after its cut-off, and counts as the answer.
    pub confirmed_by_start: bool,
    #[serde(skip)]
    dates: Vec<NaiveDate>,
}

impl Shipment {
    pub fn amount_fen(&self) -> i64 {
        i64::from(self.quantity).saturating_mul(self.unit_price_fen)
    }

    /// Whether it names `day`: its date now, its original date or a date it was moved from.
    pub fn is_on(&self, day: NaiveDate) -> bool {
        self.dates.contains(&day)
    }

    pub fn status(&self, settings: &Settings, tz: Tz, now: DateTime<Utc>) -> ShipmentStatus {
        match self.reply {
            _ if self.confirmed_by_start => ShipmentStatus::Confirmed,
            Some(Reply::Confirmed) => ShipmentStatus::Confirmed,
            Some(Reply::Skipped) => ShipmentStatus::Skipped,
            None if now >= settings.cutoff(self.ship_on, tz) => ShipmentStatus::NoAnswer,
            None if self.requested_at.is_some() || now >= settings.ask_moment(self.ship_on, tz) => {
                ShipmentStatus::AwaitingAnswer
            }
            None => ShipmentStatus::Scheduled,
        }
    }

    /// Whether it goes out: `None` while it can still be answered.
    pub fn goes_out(&self, settings: &Settings, tz: Tz, now: DateTime<Utc>) -> Option<bool> {
        match self.status(settings, tz, now) {
            ShipmentStatus::Confirmed => Some(true),
            ShipmentStatus::Skipped => Some(false),
            ShipmentStatus::NoAnswer => Some(settings.on_no_answer == OnNoAnswer::Ship),
            ShipmentStatus::Scheduled | ShipmentStatus::AwaitingAnswer => None,
        }
    }
}

/// The terms in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionTerms))]
pub struct Terms {
    pub sku: String,
    pub every_days: u16,
    pub quantity: u32,
    pub unit_price_fen: i64,
}

/// What a subscription's facts add up to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline {
    pub started_at: Option<DateTime<Utc>>,
    /// Each change of status, in time order.
    pub transitions: Vec<(DateTime<Utc>, Status)>,
    /// The terms after every change (`None` before a start was read).
    pub terms: Option<Terms>,
    pub cancel_reason: Option<String>,
    /// In date order, up to the horizon asked for.
    pub shipments: Vec<Shipment>,
}

impl Timeline {
    pub fn status(&self) -> Option<Status> {
        self.transitions.last().map(|t| t.1)
    }

    /// The status at an instant (`None` before the start).
    pub fn status_at(&self, at: DateTime<Utc>) -> Option<Status> {
        self.transitions.iter().take_while(|t| t.0 <= at).last().map(|t| t.1)
    }

    /// The shipment that names `day` (see [`Shipment::is_on`]); its date now wins.
    pub fn shipment_on(&self, day: NaiveDate) -> Option<&Shipment> {
        self.shipments.iter().find(|s| s.ship_on == day).or_else(|| self.shipments.iter().find(|s| s.is_on(day)))
    }
}

/// The shipments being generated in an active stretch.
struct Run {
    /// Shipments due before this are counted, not listed.
    from: NaiveDate,
    next: NaiveDate,
    opened: DateTime<Utc>,
    first: bool,
}

/// Derive a subscription's timeline, with its shipments up to `horizon` (and the one after,
/// which a move may bring before it).
pub fn timeline(sub: &Subscription, settings: &Settings, tz: Tz, horizon: NaiveDate) -> Timeline {
    timeline_from(sub, settings, tz, NaiveDate::MIN, horizon)
}

/// Like [`timeline`], listing only shipments whose original date is `from` or later: the
/// lists read every minute need not rebuild years of history. A move is looked for within a
/// year of the original date (moves stay between neighbours, at most 365 days apart), so
/// callers pass a `from` a year before the first date they need.
pub fn timeline_from(sub: &Subscription, settings: &Settings, tz: Tz, from: NaiveDate, horizon: NaiveDate) -> Timeline {
    let horizon = horizon.min(LAST_DAY);
    let mut out = Timeline::default();
    let mut run: Option<Run> = None;
    let mut last_due: Option<NaiveDate> = None;
    for (at, change) in &sub.changes {
        if let (Some(r), Some(terms)) = (run.as_mut(), out.terms.as_ref()) {
            // What was past its cut-off before this change is settled under the old terms.
            while r.next <= LAST_DAY
                && settings.cutoff(if r.next < r.from { r.next } else { moved(sub, r.next).0 }, tz) <= *at
            {
                emit(sub, settings, tz, terms, r, &mut out.shipments, &mut last_due);
            }
        }
        let status = out.status();
        let today = local_day(*at, tz);
        match (status, change) {
            (None, Change::Started(plan)) => {
                let terms = Terms {
                    sku: plan.sku.clone(),
                    every_days: plan.every_days,
                    quantity: plan.quantity,
                    unit_price_fen: plan.unit_price_fen,
                };
                let next = plan.first_ship_on.unwrap_or_else(|| add(today, plan.every_days));
                run = Some(Run { from, next, opened: *at, first: true });
                out.started_at = Some(*at);
                out.terms = Some(terms);
                out.transitions.push((*at, Status::Active));
            }
            (Some(Status::Active | Status::Paused), Change::Changed { every_days, quantity, unit_price_fen }) => {
                if let Some(t) = out.terms.as_mut() {
                    t.every_days = every_days.unwrap_or(t.every_days);
                    t.quantity = quantity.unwrap_or(t.quantity);
                    t.unit_price_fen = unit_price_fen.unwrap_or(t.unit_price_fen);
                }
            }
            (Some(Status::Active), Change::Paused) => {
                run = None;
                out.transitions.push((*at, Status::Paused));
            }
            (Some(Status::Paused), Change::Resumed { next_ship_on }) => {
                let every = out.terms.as_ref().map_or(1, |t| t.every_days);
                let mut next = next_ship_on.unwrap_or_else(|| add(today, every));
                // Never a second shipment on a date the rhythm already used.
                if let Some(last) = last_due.filter(|l| next <= *l) {
                    next = add(last, every);
                }
                run = Some(Run { from, next, opened: *at, first: true });
                out.transitions.push((*at, Status::Active));
            }
            (Some(Status::Active | Status::Paused), Change::Cancelled { reason }) => {
                run = None;
                out.cancel_reason = reason.clone();
                out.transitions.push((*at, Status::Cancelled));
            }
            _ => {}
        }
    }
    if let (Some(r), Some(terms)) = (run.as_mut(), out.terms.clone()) {
        let until = add(horizon, terms.every_days);
        while r.next <= until {
            emit(sub, settings, tz, &terms, r, &mut out.shipments, &mut last_due);
        }
    }
    out
}

/// A year (and a day) before `day`: the `from` of [`timeline_from`] for dates from `day` on.
pub fn year_before(day: NaiveDate) -> NaiveDate {
    day.checked_sub_days(Days::new(366)).unwrap_or(NaiveDate::MIN)
}

/// Dates are bounded (facts to 2200, horizons to [`LAST_DAY`]), so this never saturates in
/// practice; if it did, the date would stop every loop.
fn add(day: NaiveDate, days: u16) -> NaiveDate {
    day.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX)
}

fn emit(
    sub: &Subscription,
    settings: &Settings,
    tz: Tz,
    terms: &Terms,
    r: &mut Run,
    out: &mut Vec<Shipment>,
    last_due: &mut Option<NaiveDate>,
) {
    let due_on = r.next;
    if due_on < r.from {
        // Before the window: only the rhythm moves on.
        r.first = false;
        *last_due = Some(due_on);
        r.next = add(due_on, terms.every_days);
        return;
    }
    let (ship_on, dates) = moved(sub, due_on);
    let reply = latest_reply(&sub.replies, &dates);
    let requested_at = dates.iter().filter_map(|d| sub.requested.get(d)).min().copied();
    let confirmed_by_start = r.first && settings.cutoff(ship_on, tz) <= r.opened;
    out.push(Shipment {
        due_on,
        ship_on,
        quantity: terms.quantity,
        unit_price_fen: terms.unit_price_fen,
        reply,
        requested_at,
        confirmed_by_start,
        dates,
    });
    r.first = false;
    *last_due = Some(due_on);
    r.next = add(due_on, terms.every_days);
}

fn latest_reply(replies: &BTreeMap<NaiveDate, (DateTime<Utc>, Reply)>, dates: &[NaiveDate]) -> Option<Reply> {
    dates.iter().filter_map(|d| replies.get(d)).max().map(|r| r.1)
}

/// Where the shipment due on `due_on` ships after every move, and every date it has had.
/// A move names the shipment by its date at the time or by its original date.
fn moved(sub: &Subscription, due_on: NaiveDate) -> (NaiveDate, Vec<NaiveDate>) {
    let mut now_on = due_on;
    let mut dates = vec![due_on];
    for (_, from, to) in &sub.moves {
        if *from == now_on || *from == due_on {
            now_on = *to;
            if !dates.contains(to) {
                dates.push(*to);
            }
        }
    }
    (now_on, dates)
}

/// One line of the shipment list for the order system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipmentRow {
    pub subscription_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub person: PersonId,
    pub sku: String,
    pub quantity: u32,
    pub unit_price_fen: i64,
    pub amount_fen: i64,
    pub ship_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ShipmentStatus,
    /// Whether it goes out: `None` while it can still be answered.
    pub goes_out: Option<bool>,
}

/// Every subscription's shipments dated `from` to `to` (store days, both included), by date
/// then subscription.
pub fn schedule(
    book: &Book,
    settings: &Settings,
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<ShipmentRow> {
    let mut out = Vec::new();
    for sub in book.subscriptions.values() {
        let tl = timeline_from(sub, settings, tz, year_before(from), to);
        let Some(terms) = tl.terms.as_ref() else { continue };
        for s in tl.shipments.iter().filter(|s| (from..=to).contains(&s.ship_on)) {
            out.push(ShipmentRow {
                subscription_id: sub.id.clone(),
                person: sub.person,
                sku: terms.sku.clone(),
                quantity: s.quantity,
                unit_price_fen: s.unit_price_fen,
                amount_fen: s.amount_fen(),
                ship_on: s.ship_on,
                due_on: s.due_on,
                status: s.status(settings, tz, now),
                goes_out: s.goes_out(settings, tz, now),
            });
        }
    }
    out.sort_by(|a, b| (a.ship_on, &a.subscription_id, a.due_on).cmp(&(b.ship_on, &b.subscription_id, b.due_on)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn moves_follow_a_shipment_by_any_date_it_had_and_a_resume_never_repeats_a_date() {
        let who = PersonId(uuid::Uuid::nil());
        let mut sub = Subscription::new("s".into(), who);
        let log = |sub: &mut Subscription, at: &str, name: &str, p: serde_json::Value| {
            assert!(sub.apply(who, at.parse().unwrap(), name, &p));
        };
        let start =
            json!({"sku": "oats", "every_days": 10, "quantity": 3, "price": "19.90", "first_ship_on": "2027-01-10"});
        log(&mut sub, "2027-01-01T02:00:00Z", events::SUBSCRIPTION_STARTED, start);
        log(
            &mut sub,
            "2027-01-02T02:00:00Z",
            events::SHIPMENT_RESCHEDULED,
            json!({"ship_on": "2027-01-20", "to": "2027-01-22"}),
        );
        log(
            &mut sub,
            "2027-01-03T02:00:00Z",
            events::SHIPMENT_RESCHEDULED,
            json!({"ship_on": "2027-01-22", "to": "2027-01-24"}),
        );
        log(&mut sub, "2027-01-04T02:00:00Z", events::SHIPMENT_SKIPPED, json!({"ship_on": "2027-01-22"}));
        let tz = chrono_tz::Asia::Shanghai;
        let tl = timeline(&sub, &Settings::default(), tz, d("2027-02-01"));
        let s = &tl.shipments[1];
        assert_eq!((s.due_on, s.ship_on, s.reply), (d("2027-01-20"), d("2027-01-24"), Some(Reply::Skipped)));
        assert_eq!((s.amount_fen(), tl.shipments[2].ship_on), (5970, d("2027-01-30")));
        assert!(s.is_on(d("2027-01-22")) && tl.shipment_on(d("2027-01-20")) == Some(s));
        // Paused after the 10th's cut-off, resumed naming the 5th: the rhythm moves on instead.
        log(&mut sub, "2027-01-09T13:00:00Z", events::SUBSCRIPTION_PAUSED, json!({}));
        log(&mut sub, "2027-01-11T02:00:00Z", events::SUBSCRIPTION_RESUMED, json!({"next_ship_on": "2027-01-05"}));
        let tl = timeline(&sub, &Settings::default(), tz, d("2027-02-01"));
        let dates: Vec<NaiveDate> = tl.shipments.iter().map(|s| s.ship_on).collect();
        assert_eq!(&dates[..3], [d("2027-01-10"), d("2027-01-24"), d("2027-01-30")]);
        assert_eq!(tl.status(), Some(Status::Active));
    }
}
