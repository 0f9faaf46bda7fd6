//! One subscription (定期购) as its events tell it. The fold keeps the facts, not a running
//! state: changes to the subscription as a whole in time order, and the answers about single
//! shipments by the date they name. Any arrival order (an import, a late webhook) leaves the
//! same facts, so the same schedule is derived from them (`schedule::timeline`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::PersonId;
use crate::events;
use crate::money::Fen;
use crate::profile::text;

/// The longest cadence: once a year.
pub const MAX_EVERY_DAYS: u16 = 365;
/// The most units one shipment carries.
pub const MAX_QUANTITY: u32 = 9999;
/// Longest cancel reason or sku kept, in characters.
const MAX_TEXT: usize = 200;
/// Dates outside these years are refused: they would only be typos, and bounding them keeps
/// every date sum in range.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=2200;

/// What a subscription delivers and how often.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SubscriptionPlan))]
pub struct Plan {
    pub sku: String,
    /// Days between shipments, 1 to [`MAX_EVERY_DAYS`].
    pub every_days: u16,
    pub quantity: u32,
    /// The price of one unit, fen (the event's `price` is yuan).
    pub unit_price_fen: i64,
    /// The first shipment's date when the event named one; else start day + `every_days`.
    pub first_ship_on: Option<NaiveDate>,
}

/// A change to the subscription as a whole. The variant order breaks ties between changes
/// at the same instant (a start before anything else, a cancellation last).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    Started(Plan),
    /// New terms; what is absent stays.
    Changed {
        every_days: Option<u16>,
        quantity: Option<u32>,
        unit_price_fen: Option<i64>,
    },
    Paused,
    Resumed {
        next_ship_on: Option<NaiveDate>,
    },
    Cancelled {
        reason: Option<String>,
    },
}

/// A customer's (or operator's) answer about one shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ShipmentReply))]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Confirmed,
    Skipped,
}

/// One subscription event, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Change(Change),
    /// The confirmation message for the shipment of that date was sent.
    Requested(NaiveDate),
    Reply(NaiveDate, Reply),
    Moved {
        from: NaiveDate,
        to: NaiveDate,
    },
}

impl Fact {
    /// The fact an event states, or `None` when it is not a subscription event or lacks what
    /// it needs (a start without a sku or a cadence, a shipment event without a date).
    pub fn parse(name: &str, p: &Value) -> Option<Fact> {
        let on = |k: &str| date(p.get(k));
        Some(match name {
            events::SUBSCRIPTION_STARTED => Fact::Change(Change::Started(Plan {
                sku: text(p.get("sku")).map(|s| clip(&s)).filter(|s| !s.is_empty())?,
                every_days: every_days(p.get("every_days"))?,
                quantity: optional(p, "quantity", quantity)?.unwrap_or(1),
                // An unreadable price is an unknown one: the subscription still ships.
                unit_price_fen: price(p.get("price")).unwrap_or(0),
                first_ship_on: optional(p, "first_ship_on", |v| date(Some(v)))?,
            })),
            events::SUBSCRIPTION_CHANGED => Fact::Change(Change::Changed {
                every_days: optional(p, "every_days", |v| every_days(Some(v)))?,
                quantity: optional(p, "quantity", quantity)?,
                unit_price_fen: optional(p, "price", |v| price(Some(v)))?,
            }),
            events::SUBSCRIPTION_PAUSED => Fact::Change(Change::Paused),
            events::SUBSCRIPTION_RESUMED => {
                Fact::Change(Change::Resumed { next_ship_on: optional(p, "next_ship_on", |v| date(Some(v)))? })
            }
            events::SUBSCRIPTION_CANCELLED => Fact::Change(Change::Cancelled {
                reason: text(p.get("reason")).map(|s| clip(&s)).filter(|s| !s.trim().is_empty()),
            }),
            events::SHIPMENT_CONFIRMATION_REQUESTED => Fact::Requested(on("ship_on")?),
            events::SHIPMENT_CONFIRMED => Fact::Reply(on("ship_on")?, Reply::Confirmed),
            events::SHIPMENT_SKIPPED => Fact::Reply(on("ship_on")?, Reply::Skipped),
            events::SHIPMENT_RESCHEDULED => Fact::Moved { from: on("ship_on")?, to: on("to")? },
            _ => return None,
        })
    }
}

/// An optional property: absent or null is `Some(None)`, present but unreadable is `None`
/// (the event is not read rather than read as something it did not say).
fn optional<T>(p: &Value, key: &str, read: impl Fn(&Value) -> Option<T>) -> Option<Option<T>> {
    match p.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(v) => read(v).map(Some),
    }
}

/// A whole number, written bare or as a string.
fn whole(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn every_days(v: Option<&Value>) -> Option<u16> {
    whole(v).filter(|d| (1..=u64::from(MAX_EVERY_DAYS)).contains(d)).map(|d| d as u16)
}

fn quantity(v: &Value) -> Option<u32> {
    whole(Some(v)).filter(|q| (1..=u64::from(MAX_QUANTITY)).contains(q)).map(|q| q as u32)
}

/// A price in yuan, exactly in fen.
fn price(v: Option<&Value>) -> Option<i64> {
    Fen::from_yuan(v?).ok().map(Fen::get)
}

/// A calendar date `YYYY-MM-DD` (the store's day; no time, no zone).
pub fn date(v: Option<&Value>) -> Option<NaiveDate> {
    use chrono::Datelike;
    let d: NaiveDate = v?.as_str()?.trim().parse().ok()?;
    YEARS.contains(&d.year()).then_some(d)
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_TEXT).collect()
}

/// The facts of one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    /// Whose it is: the person of its latest event.
    pub person: PersonId,
    latest: Option<DateTime<Utc>>,
    /// Changes in time order (ties in [`Change`] order), each once.
    pub changes: Vec<(DateTime<Utc>, Change)>,
    /// When the confirmation of each date was first asked.
    pub requested: BTreeMap<NaiveDate, DateTime<Utc>>,
    /// The latest answer about each date.
    pub replies: BTreeMap<NaiveDate, (DateTime<Utc>, Reply)>,
    /// Moves in time order, each once.
    pub moves: Vec<(DateTime<Utc>, NaiveDate, NaiveDate)>,
}

impl Subscription {
    pub fn new(id: String, person: PersonId) -> Self {
        Self {
            id,
            person,
            latest: None,
            changes: Vec::new(),
            requested: BTreeMap::new(),
            replies: BTreeMap::new(),
            moves: Vec::new(),
        }
    }

    /// The subscription an event is about, if it is a subscription event.
    pub fn id_of(name: &str, properties: &Value) -> Option<String> {
        events::SUBSCRIPTION_EVENTS
            .contains(&name)
            .then(|| text(properties.get("subscription_id")))
            .flatten()
            .filter(|id| !id.is_empty())
    }

    /// Fold one of the subscription's events in; false when it says nothing readable.
    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, p: &Value) -> bool {
        let Some(fact) = Fact::parse(name, p) else { return false };
        // The latest event names the owner; equal instants settle on the larger id, so the
        // owner does not depend on arrival order either.
        if self.latest.is_none_or(|l| (at, person) > (l, self.person)) {
            self.latest = Some(at);
            self.person = person;
        }
        match fact {
            Fact::Change(c) => insert_sorted(&mut self.changes, (at, c)),
            Fact::Requested(d) => {
                let first = self.requested.entry(d).or_insert(at);
                *first = (*first).min(at);
            }
            Fact::Reply(d, r) => {
                let latest = self.replies.entry(d).or_insert((at, r));
                *latest = (*latest).max((at, r));
            }
            Fact::Moved { from, to } => insert_sorted(&mut self.moves, (at, from, to)),
        }
        true
    }

    /// The plan it started with and when: the earliest start counts.
    pub fn started(&self) -> Option<(DateTime<Utc>, &Plan)> {
        self.changes.iter().find_map(|(at, c)| match c {
            Change::Started(p) => Some((*at, p)),
            _ => None,
        })
    }
}

/// Insert keeping the order and dropping an exact repeat (a redelivered event).
fn insert_sorted<T: Ord>(v: &mut Vec<T>, x: T) {
    if let Err(i) = v.binary_search(&x) {
        v.insert(i, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn a_start_reads_its_plan_with_the_price_in_fen() {
        let p = json!({"subscription_id": "s1", "sku": "milk-1l", "every_days": "7", "quantity": 2, "price": 12.9,
            "first_ship_on": "2027-01-05"});
        let Some(Fact::Change(Change::Started(plan))) = Fact::parse(events::SUBSCRIPTION_STARTED, &p) else {
            panic!("a start")
        };
        assert_eq!((plan.every_days, plan.quantity, plan.unit_price_fen), (7, 2, 1290));
        assert_eq!(plan.first_ship_on, "2027-01-05".parse().ok());
        let bare = json!({"sku": "eggs", "every_days": 3});
        let Some(Fact::Change(Change::Started(plan))) = Fact::parse(events::SUBSCRIPTION_STARTED, &bare) else {
            panic!("a start")
        };
        assert_eq!((plan.quantity, plan.unit_price_fen, plan.first_ship_on), (1, 0, None));
    }

    #[test]
    fn events_that_do_not_say_enough_are_not_read() {
        let bad = [
            (events::SUBSCRIPTION_STARTED, json!({"sku": "x", "every_days": 0})),
            (events::SUBSCRIPTION_STARTED, json!({"sku": "x", "every_days": 366})),
            (events::SUBSCRIPTION_STARTED, json!({"every_days": 7})),
            (events::SUBSCRIPTION_STARTED, json!({"sku": "x", "every_days": 7, "first_ship_on": "next week"})),
            (events::SUBSCRIPTION_CHANGED, json!({"quantity": 0})),
            (events::SHIPMENT_CONFIRMED, json!({"ship_on": "2027-02-30"})),
            (events::SHIPMENT_SKIPPED, json!({"ship_on": "1900-01-01"})),
            (events::SHIPMENT_RESCHEDULED, json!({"ship_on": "2027-02-03"})),
            (events::ORDER_COMPLETED, json!({"order_id": "o"})),
        ];
        for (name, p) in bad {
            assert_eq!(Fact::parse(name, &p), None, "{name} {p}");
        }
        assert_eq!(Subscription::id_of(events::SHIPMENT_CONFIRMED, &json!({"subscription_id": 42})), Some("42".into()));
        assert_eq!(Subscription::id_of(events::ORDER_COMPLETED, &json!({"subscription_id": "s"})), None);
    }

    #[test]
    fn the_latest_answer_and_the_first_request_hold_and_repeats_are_kept_once() {
        let who = PersonId(uuid::Uuid::nil());
        let mut s = Subscription::new("s".into(), who);
        let on = json!({"subscription_id": "s", "ship_on": "2027-01-05"});
        assert!(s.apply(who, t(2), events::SHIPMENT_SKIPPED, &on));
        assert!(s.apply(who, t(1), events::SHIPMENT_CONFIRMED, &on));
        assert!(s.apply(who, t(5), events::SHIPMENT_CONFIRMATION_REQUESTED, &on));
        assert!(s.apply(who, t(0), events::SHIPMENT_CONFIRMATION_REQUESTED, &on));
        assert!(s.apply(who, t(3), events::SUBSCRIPTION_PAUSED, &on));
        assert!(s.apply(who, t(3), events::SUBSCRIPTION_PAUSED, &on));
        let d: NaiveDate = "2027-01-05".parse().unwrap();
        assert_eq!(s.replies[&d], (t(2), Reply::Skipped));
        assert_eq!(s.requested[&d], t(0));
        assert_eq!(s.changes.len(), 1);
    }
}
