//! The subscription flows with an injected clock, in Shanghai and in New York, and the fold's
//! independence from arrival order.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::PersonId;
use crate::events;

const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;
const NEW_YORK: Tz = chrono_tz::America::New_York;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn who() -> PersonId {
    PersonId(uuid::Uuid::from_u128(7))
}

/// A store with one subscription and a clock the test moves.
struct Store {
    book: Book,
    settings: Settings,
    tz: Tz,
}

impl Store {
    /// Milk every 7 days, 2 bottles at ¥12.90, started at `at`.
    fn started(tz: Tz, at: &str, extra: Value) -> Self {
        let mut s = Store { book: Book::default(), settings: Settings::default(), tz };
        let mut p =
            json!({"subscription_id": "s1", "sku": "milk-1l", "every_days": 7, "quantity": 2, "price": "12.90"});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        s.log(at, events::SUBSCRIPTION_STARTED, p);
        s
    }

    fn log(&mut self, at: &str, name: &str, mut p: Value) {
        p["subscription_id"] = json!("s1");
        assert!(self.book.apply(who(), t(at), name, &p), "{name} {p}");
    }

    /// Do `action` at `now`, appending what it says.
    fn act(&mut self, now: &str, action: Action) -> Result<Option<&'static str>, Refusal> {
        let sub = &self.book.subscriptions["s1"];
        let e = answer(sub, &action, &self.settings, self.tz, t(now))?;
        Ok(e.map(|e| {
            assert!(self.book.apply(who(), t(now), e.name, &e.properties));
            e.name
        }))
    }

    fn timeline(&self, horizon: &str) -> Timeline {
        timeline(&self.book.subscriptions["s1"], &self.settings, self.tz, d(horizon))
    }

    /// (ship date, status) of the shipments dated in January 2027, as seen at `now`.
    fn january(&self, now: &str) -> Vec<(NaiveDate, ShipmentStatus, Option<bool>)> {
        schedule(&self.book, &self.settings, self.tz, d("2027-01-01"), d("2027-01-31"), t(now))
            .into_iter()
            .map(|r| (r.ship_on, r.status, r.goes_out))
            .collect()
    }

    fn due(&self, now: &str) -> Vec<NaiveDate> {
        due(&self.book, &self.settings, self.tz, t(now)).into_iter().map(|x| x.ship_on).collect()
    }
}

#[test]
fn start_ask_at_the_local_time_confirm_and_ship() {
    // Started Friday 1 January 2027 at 10:00 in Shanghai: first shipment on the 8th, asked on
    // the 6th at 10:00 (02:00 UTC), answered until the 7th at 20:00 (12:00 UTC).
    let mut s = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({}));
    assert_eq!(s.due("2027-01-06T01:59:00Z"), []);
    let due = due(&s.book, &s.settings, SHANGHAI, t("2027-01-06T02:00:00Z"));
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].ship_on, due[0].amount_fen, due[0].quantity), (d("2027-01-08"), 2580, 2));
    assert_eq!((due[0].ask_at, due[0].cutoff_at), (t("2027-01-06T02:00:00Z"), t("2027-01-07T12:00:00Z")));
    // The engine sends it and says so: it is not due again.
    s.log("2027-01-06T02:00:05Z", events::SHIPMENT_CONFIRMATION_REQUESTED, json!({"ship_on": "2027-01-08"}));
    assert_eq!(s.due("2027-01-06T03:00:00Z"), []);
    assert_eq!(s.january("2027-01-06T03:00:00Z")[0], (d("2027-01-08"), ShipmentStatus::AwaitingAnswer, None));
    // The customer confirms; a second tap appends nothing.
    let confirm = Action::Confirm { ship_on: d("2027-01-08") };
    assert_eq!(s.act("2027-01-06T05:00:00Z", confirm.clone()), Ok(Some(events::SHIPMENT_CONFIRMED)));
    assert_eq!(s.act("2027-01-06T05:01:00Z", confirm), Ok(None));
    let jan = s.january("2027-01-08T00:00:00Z");
    assert_eq!(jan[0], (d("2027-01-08"), ShipmentStatus::Confirmed, Some(true)));
    assert_eq!(
        jan.iter().map(|r| r.0).collect::<Vec<_>>(),
        [d("2027-01-08"), d("2027-01-15"), d("2027-01-22"), d("2027-01-29")]
    );
    assert_eq!(jan[1].1, ShipmentStatus::Scheduled);
    // Delivered in January: one shipment, two bottles, ¥25.80.
    let f = figures(&s.book, &s.settings, SHANGHAI, d("2027-01-01"), d("2027-01-31"), t("2027-01-09T00:00:00Z"));
    let jan = &f.months[0];
    assert_eq!((jan.started, jan.shipments_delivered, jan.units_delivered, jan.revenue_fen), (1, 1, 2, 2580));
    assert_eq!((f.answers.shipments, f.answers.confirmed), (1, 1));
    assert_eq!(f.active_now, 1);
}

#[test]
fn the_store_zone_decides_when_a_confirmation_is_due() {
    // The same start in New York: 10:00 local on the 6th is 15:00 UTC, not 02:00.
    let s = Store::started(NEW_YORK, "2027-01-01T15:00:00Z", json!({}));
    assert_eq!(s.due("2027-01-06T02:00:00Z"), []);
    assert_eq!(s.due("2027-01-06T14:59:00Z"), []);
    assert_eq!(s.due("2027-01-06T15:00:00Z"), [d("2027-01-08")]);
    // The cut-off is 20:00 in New York on the 7th: 01:00 UTC on the 8th.
    assert_eq!(s.january("2027-01-08T00:59:00Z")[0].1, ShipmentStatus::AwaitingAnswer);
    assert_eq!(s.january("2027-01-08T01:00:00Z")[0].1, ShipmentStatus::NoAnswer);
    // A start at 23:00 on 31 December in New York is a start on the 31st there (the 1st in UTC).
    let late = Store::started(NEW_YORK, "2027-01-01T04:00:00Z", json!({}));
    assert_eq!(late.timeline("2027-01-10").shipments[0].ship_on, d("2027-01-07"));
}

#[test]
fn a_skip_keeps_the_rhythm() {
    let mut s = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({}));
    assert_eq!(
        s.act("2027-01-06T03:00:00Z", Action::Skip { ship_on: d("2027-01-08") }),
        Ok(Some(events::SHIPMENT_SKIPPED))
    );
    let jan = s.january("2027-01-10T00:00:00Z");
    assert_eq!(jan[0], (d("2027-01-08"), ShipmentStatus::Skipped, Some(false)));
    assert_eq!(jan[1].0, d("2027-01-15"), "the next one stays a week after the skipped one");
    // Changing one's mind before the cut-off: the latest answer holds.
    assert_eq!(
        s.act("2027-01-07T11:00:00Z", Action::Confirm { ship_on: d("2027-01-08") }),
        Ok(Some(events::SHIPMENT_CONFIRMED))
    );
    assert_eq!(s.january("2027-01-10T00:00:00Z")[0].1, ShipmentStatus::Confirmed);
}

#[test]
fn pause_drops_what_is_not_past_its_cut_off_and_resume_starts_again() {
    let mut s = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({}));
    s.act("2027-01-06T03:00:00Z", Action::Confirm { ship_on: d("2027-01-08") }).unwrap();
    // Paused on the 10th: the 8th shipped, the 15th and later are off.
    assert_eq!(s.act("2027-01-10T02:00:00Z", Action::Pause {}), Ok(Some(events::SUBSCRIPTION_PAUSED)));
    assert_eq!(s.act("2027-01-10T02:01:00Z", Action::Pause {}), Ok(None));
    assert_eq!(s.january("2027-01-10T03:00:00Z").iter().map(|r| r.0).collect::<Vec<_>>(), [d("2027-01-08")]);
    assert_eq!(s.act("2027-01-10T03:00:00Z", Action::Skip { ship_on: d("2027-01-15") }), Err(Refusal::Paused));
    assert_eq!(s.due("2027-01-13T02:00:00Z"), []);
    // Resumed on the 20th without a date: the rhythm restarts from the resume day.
    assert_eq!(
        s.act("2027-01-20T02:00:00Z", Action::Resume { next_ship_on: None }),
        Ok(Some(events::SUBSCRIPTION_RESUMED))
    );
    let dates: Vec<NaiveDate> = s.january("2027-01-20T03:00:00Z").iter().map(|r| r.0).collect();
    assert_eq!(dates, [d("2027-01-08"), d("2027-01-27")]);
    assert_eq!(s.act("2027-01-20T03:00:00Z", Action::Resume { next_ship_on: None }), Ok(None));
    let tl = s.timeline("2027-02-28");
    assert_eq!(
        tl.transitions.iter().map(|x| x.1).collect::<Vec<_>>(),
        [Status::Active, Status::Paused, Status::Active]
    );
    assert_eq!(tl.status_at(t("2027-01-15T00:00:00Z")), Some(Status::Paused));
}

#[test]
fn a_resume_may_name_its_next_date() {
    let mut s = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({}));
    s.act("2027-01-02T02:00:00Z", Action::Pause {}).unwrap();
    assert_eq!(
        s.act("2027-01-20T02:00:00Z", Action::Resume { next_ship_on: Some(d("2027-01-20")) }),
        Err(Refusal::DateInPast { date: d("2027-01-20") })
    );
    // Tomorrow, but it is 21:00 and tomorrow's cut-off was 20:00.
    assert_eq!(
        s.act("2027-01-20T13:00:00Z", Action::Resume { next_ship_on: Some(d("2027-01-21")) }),
        Err(Refusal::TooSoon { date: d("2027-01-21"), cutoff: t("2027-01-20T12:00:00Z") })
    );
    s.act("2027-01-20T02:00:00Z", Action::Resume { next_ship_on: Some(d("2027-01-25")) }).unwrap();
    let dates: Vec<NaiveDate> = s.january("2027-01-20T03:00:00Z").iter().map(|r| r.0).collect();
    assert_eq!(dates, [d("2027-01-25")], "the 8th was dropped by the pause on the 2nd");
    assert_eq!(s.timeline("2027-02-05").shipments[1].ship_on, d("2027-02-01"));
}

#[test]
fn no_answer_holds_by_default_and_ships_when_the_store_says_so() {
    let mut s = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({}));
    s.log("2027-01-06T02:00:00Z", events::SHIPMENT_CONFIRMATION_REQUESTED, json!({"ship_on": "2027-01-08"}));
    let after = "2027-01-07T12:00:00Z";
    assert_eq!(s.january(after)[0], (d("2027-01-08"), ShipmentStatus::NoAnswer, Some(false)));
    assert_eq!(
        s.act(after, Action::Confirm { ship_on: d("2027-01-08") }),
        Err(Refusal::PastCutoff { ship_on: d("2027-01-08"), cutoff: t(after) })
    );
    let f = figures(&s.book, &s.settings, SHANGHAI, d("2027-01-01"), d("2027-01-31"), t("2027-01-09T00:00:00Z"));
    assert_eq!((f.answers.shipments, f.answers.no_answer, f.answers.no_answer_rate), (1, 1, Some(1.0)));
    assert_eq!(f.months[0].shipments_delivered, 0);
    s.settings.on_no_answer = OnNoAnswer::Ship;
    assert_eq!(s.january(after)[0], (d("2027-01-08"), ShipmentStatus::NoAnswer, Some(true)));
    let f = figures(&s.book, &s.settings, SHANGHAI, d("2027-01-01"), d("2027-01-31"), t("2027-01-09T00:00:00Z"));
    assert_eq!((f.answers.no_answer, f.months[0].shipments_delivered, f.months[0].revenue_fen), (1, 1, 2580));
}

#[test]
fn a_move_stays_between_its_neighbours_and_keeps_the_rhythm() {
    let mut s = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({}));
    let now = "2027-01-09T02:00:00Z";
    let mv = |ship_on: &str, to: &str| Action::Reschedule { ship_on: d(ship_on), to: d(to) };
    assert_eq!(
        s.act(now, mv("2027-01-15", "2027-01-22")),
        Err(Refusal::BeyondNextShipment { to: d("2027-01-22"), next: d("2027-01-22") })
    );
    assert_eq!(s.act(now, mv("2027-01-15", "2027-01-08")), Err(Refusal::DateInPast { date: d("2027-01-08") }));
    assert_eq!(
        s.act("2027-01-01T03:00:00Z", mv("2027-01-15", "2027-01-08")),
        Err(Refusal::BeforePreviousShipment { to: d("2027-01-08"), previous: d("2027-01-08") })
    );
    assert_eq!(
        s.act(now, mv("2027-01-08", "2027-01-10")),
        Err(Refusal::PastCutoff { ship_on: d("2027-01-08"), cutoff: t("2027-01-07T12:00:00Z") })
    );
    assert_eq!(s.act(now, mv("2027-01-16", "2027-01-17")), Err(Refusal::UnknownShipDate { ship_on: d("2027-01-16") }));
    assert_eq!(s.act(now, mv("2027-01-15", "2027-01-15")), Ok(None));
    assert_eq!(s.act(now, mv("2027-01-15", "2027-01-17")), Ok(Some(events::SHIPMENT_RESCHEDULED)));
    let dates: Vec<NaiveDate> = s.january(now).iter().map(|r| r.0).collect();
    assert_eq!(dates, [d("2027-01-08"), d("2027-01-17"), d("2027-01-22"), d("2027-01-29")]);
    // Answers find it under its new date and its original one; its window moved with it.
    assert_eq!(s.act(now, Action::Confirm { ship_on: d("2027-01-15") }), Ok(Some(events::SHIPMENT_CONFIRMED)));
    assert_eq!(s.act(now, Action::Confirm { ship_on: d("2027-01-17") }), Ok(None));
    assert_eq!(s.act("2027-01-15T13:00:00Z", mv("2027-01-17", "2027-01-19")), Ok(Some(events::SHIPMENT_RESCHEDULED)));
    let moved = s.timeline("2027-01-31").shipments[1].clone();
    assert_eq!(
        (moved.due_on, moved.ship_on, moved.reply),
        (d("2027-01-15"), d("2027-01-19"), Some(plan::Reply::Confirmed))
    );
    // Cancelled: nothing more is taken.
    assert_eq!(s.act(now, Action::Cancel { reason: Some("moving".into()) }), Ok(Some(events::SUBSCRIPTION_CANCELLED)));
    assert_eq!(s.act(now, Action::Confirm { ship_on: d("2027-01-22") }), Err(Refusal::Cancelled));
    assert_eq!(s.act(now, Action::Cancel { reason: None }), Ok(None));
    assert_eq!(s.timeline("2027-01-31").cancel_reason.as_deref(), Some("moving"));
}

#[test]
fn a_first_box_already_past_its_cut_off_is_confirmed_by_the_start() {
    // Daily eggs ordered at 21:00: tomorrow's cut-off (20:00 today) has passed.
    let s = Store::started(SHANGHAI, "2027-01-01T13:00:00Z", json!({"every_days": 1}));
    let jan = s.january("2027-01-01T13:00:00Z");
    assert_eq!(jan[0], (d("2027-01-02"), ShipmentStatus::Confirmed, Some(true)));
    assert_eq!(jan[1], (d("2027-01-03"), ShipmentStatus::AwaitingAnswer, None), "asked 10:00 on the 1st");
    assert_eq!(s.due("2027-01-01T13:00:00Z"), [d("2027-01-03")], "late, but before its cut-off");
    let f = figures(&s.book, &s.settings, SHANGHAI, d("2027-01-01"), d("2027-01-31"), t("2027-01-05T00:00:00Z"));
    assert_eq!(f.answers.shipments, 3, "the 3rd, 4th and 5th were asked; the 2nd was not");
}

#[test]
fn new_terms_apply_from_the_next_box_and_the_new_cadence_after_it() {
    let mut s = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({"first_ship_on": "2027-01-05"}));
    s.log("2027-01-03T02:00:00Z", events::SUBSCRIPTION_CHANGED, json!({"every_days": 14, "quantity": 3}));
    let tl = s.timeline("2027-02-10");
    let got: Vec<(NaiveDate, u32)> = tl.shipments.iter().map(|x| (x.ship_on, x.quantity)).collect();
    assert_eq!(&got[..3], [(d("2027-01-05"), 3), (d("2027-01-19"), 3), (d("2027-02-02"), 3)]);
    // After the first box's cut-off, the change leaves it as it was.
    let mut late = Store::started(SHANGHAI, "2027-01-01T02:00:00Z", json!({"first_ship_on": "2027-01-05"}));
    late.log("2027-01-04T13:00:00Z", events::SUBSCRIPTION_CHANGED, json!({"quantity": 3}));
    let got: Vec<u32> = late.timeline("2027-01-20").shipments.iter().map(|x| x.quantity).collect();
    assert_eq!(&got[..2], [2, 3]);
    assert_eq!(late.timeline("2027-01-20").terms.unwrap().quantity, 3);
}

/// One random event of subscription `s1`: hours after the start, kind, two day offsets.
type Raw = (i64, u8, i64, i64);

fn event((h, kind, a, b): Raw) -> (DateTime<Utc>, &'static str, Value) {
    let at = t("2027-01-01T02:00:00Z") + chrono::Duration::hours(h);
    let day = |n: i64| (d("2027-01-01") + chrono::Duration::days(n)).to_string();
    let (name, p) = match kind {
        0 => (events::SUBSCRIPTION_PAUSED, json!({})),
        1 => (events::SUBSCRIPTION_RESUMED, json!({"next_ship_on": (a % 2 == 0).then(|| day(a))})),
        2 => (events::SUBSCRIPTION_CANCELLED, json!({"reason": "r"})),
        3 => (events::SUBSCRIPTION_CHANGED, json!({"every_days": 1 + a % 10, "quantity": 1 + b % 3})),
        4 => (events::SHIPMENT_CONFIRMED, json!({"ship_on": day(a)})),
        5 => (events::SHIPMENT_SKIPPED, json!({"ship_on": day(a)})),
        6 => (events::SHIPMENT_CONFIRMATION_REQUESTED, json!({"ship_on": day(a)})),
        _ => (events::SHIPMENT_RESCHEDULED, json!({"ship_on": day(a), "to": day(b)})),
    };
    let mut p = p;
    p["subscription_id"] = json!("s1");
    (at, name, p)
}

fn arrivals() -> impl Strategy<Value = (Vec<Raw>, Vec<Raw>)> {
    // Few distinct hours, so ties between events at one instant are common.
    prop::collection::vec((0i64..300, 0u8..8, 0i64..60, 0i64..60), 0..30).prop_flat_map(|v| {
        let shuffled = Just(v.clone()).prop_shuffle();
        (Just(v), shuffled)
    })
}

proptest! {
    /// Folding any permutation of a subscription's events (its start among them) gives the
    /// same subscription, the same timeline and the same schedule.
    #[test]
    fn any_arrival_order_gives_the_same_subscription((events, shuffled) in arrivals(), start_at in 0usize..30) {
        let start = (
            t("2027-01-01T02:00:00Z"),
            events::SUBSCRIPTION_STARTED,
            json!({"subscription_id": "s1", "sku": "milk", "every_days": 3, "price": 9.9}),
        );
        let fold = |list: &[Raw]| {
            let mut all: Vec<(DateTime<Utc>, &str, Value)> = list.iter().map(|e| event(*e)).collect();
            all.insert(start_at.min(all.len()), start.clone());
            let mut book = Book::default();
            for (at, name, p) in &all {
                book.apply(who(), *at, name, p);
            }
            book
        };
        let (a, b) = (fold(&events), fold(&shuffled));
        prop_assert_eq!(&a.subscriptions, &b.subscriptions);
        let settings = Settings::default();
        for tz in [SHANGHAI, NEW_YORK] {
            let ta = timeline(&a.subscriptions["s1"], &settings, tz, d("2027-03-01"));
            prop_assert_eq!(&ta, &timeline(&b.subscriptions["s1"], &settings, tz, d("2027-03-01")));
            let now = t("2027-01-20T00:00:00Z");
            prop_assert_eq!(
                schedule(&a, &settings, tz, d("2027-01-01"), d("2027-02-28"), now),
                schedule(&b, &settings, tz, d("2027-01-01"), d("2027-02-28"), now)
            );
        }
    }
}
