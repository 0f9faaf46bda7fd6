//! Issue 23: the global control group never receives a marketing message. Over random
//! journeys (triggers, steps, marketing or service) and random people, the real runner on a
//! real (SQLite) store, with the clock moved by hand across refreshes of the draw: every
//! message a marketing journey queues goes to someone the group did not hold out on the day it
//! was queued, while service journeys reach the control group too.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::{Hands, append_to as append, at, open_store, person_by, template};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rekindle_core::journey::Definition;
use rekindle_core::outreach::{CapsConfig, ChannelKind};
use rekindle_core::programme::ControlGroup;
use rekindle_core::{IdentifierKind, JourneyId};
use rekindle_journeys::Runner;
use rekindle_store::prelude::*;
use serde_json::{Value, json};

/// Noon in Shanghai on a Monday.
const START: &str = "2026-06-01T04:00:00Z";

#[derive(Debug, Clone)]
enum TriggerKind {
    Ordered,
    LiveEntered,
    Once,
    Daily,
}

#[derive(Debug, Clone)]
enum StepKind {
    Send,
    Wait(u32),
    /// Ordered more than once: send; else wait a day.
    Branch,
}

#[derive(Debug, Clone)]
struct JourneyCase {
    trigger: TriggerKind,
    steps: Vec<StepKind>,
    marketing: bool,
}

#[derive(Debug, Clone)]
struct Case {
    people: usize,
    percent: u8,
    refresh_days: u32,
    journeys: Vec<JourneyCase>,
    /// Per person and day: (orders, enters a live room).
    doings: Vec<(bool, bool)>,
}

fn journey() -> impl Strategy<Value = JourneyCase> {
    let trigger = prop_oneof![
        Just(TriggerKind::Ordered),
        Just(TriggerKind::LiveEntered),
        Just(TriggerKind::Once),
        Just(TriggerKind::Daily)
    ];
    let step = prop_oneof![Just(StepKind::Send), (60u32..2880).prop_map(StepKind::Wait), Just(StepKind::Branch)];
    (trigger, prop::collection::vec(step, 1..5), any::<bool>()).prop_map(|(trigger, steps, marketing)| JourneyCase {
        trigger,
        steps,
        marketing,
    })
}

fn case() -> impl Strategy<Value = Case> {
    (
        12usize..30,
        10u8..=30,
        prop_oneof![Just(0u32), Just(1), Just(2), Just(90)],
        prop::collection::vec(journey(), 1..4),
    )
        .prop_flat_map(|(people, percent, refresh_days, journeys)| {
            prop::collection::vec((any::<bool>(), any::<bool>()), people * 3).prop_map(move |doings| Case {
                people,
                percent,
                refresh_days,
                journeys: journeys.clone(),
                doings,
            })
        })
}

fn definition(j: &JourneyCase, start: DateTime<Utc>) -> Definition {
    let trigger = match j.trigger {
        TriggerKind::Ordered => json!({"type": "event", "event": "Order Completed"}),
        TriggerKind::LiveEntered => json!({"type": "event", "event": "Live Entered"}),
        TriggerKind::Once => json!({"type": "schedule", "once_at": start + Duration::minutes(1)}),
        TriggerKind::Daily => json!({"type": "schedule", "daily_at": "13:00"}),
    };
    let mut steps = Vec::new();
    let n = j.steps.len();
    for (k, s) in j.steps.iter().enumerate() {
        let id = format!("s{k}");
        let next = (k + 1 < n).then(|| format!("s{}", k + 1));
        let with_next = |mut step: Value| {
            if let Some(next) = &next {
                step["next"] = json!(next);
            }
            step
        };
        match s {
            StepKind::Send => {
                steps.push(with_next(json!({"id": id, "type": "send", "channel": "wecom", "template": "hello"})))
            }
            StepKind::Wait(minutes) => steps.push(with_next(json!({"id": id, "type": "wait", "minutes": minutes}))),
            StepKind::Branch => {
                let (yes, no) = (format!("s{k}y"), format!("s{k}n"));
                steps.push(json!({"id": id, "type": "branch", "rule": "订单数 >= 2", "then": yes, "else": no}));
                steps.push(with_next(json!({"id": yes, "type": "send", "channel": "wecom", "template": "hello"})));
                steps.push(with_next(json!({"id": no, "type": "wait", "minutes": 1440})));
            }
        }
    }
    let d = json!({"trigger": trigger, "steps": steps, "reentry": {"type": "always"}, "marketing": j.marketing,
                   "undelivered": "continue"});
    serde_json::from_value(d).unwrap()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

#[derive(Default)]
struct Seen {
    marketing_to_treated: AtomicUsize,
    service_to_control: AtomicUsize,
}

async fn run_case(c: Case, seen: &Seen) -> Result<(), TestCaseError> {
    let (_dir, store, ws) = open_store().await;
    let start = at(START);
    let hands = Hands::at(start);
    let engine = common::engine(&store, hands.clock());
    let caps = CapsConfig { quiet_hours: Default::default(), per_day: 100, ..CapsConfig::default() };
    let runner = Runner::new(store.clone(), engine.clone(), caps);
    let template = template("hello", ChannelKind::Wecom, "{{nickname|亲}}，你好", None);
    store.put_message_template(ws, &template).await.unwrap();
    let since: NaiveDate = "2026-05-31".parse().unwrap();
    let group = ControlGroup { percent: c.percent, refresh_days: c.refresh_days, since: Some(since) };
    store.put_control_group(ws, &group, start).await.unwrap();

    let before = start - Duration::days(1);
    let mut marketing: std::collections::HashMap<JourneyId, bool> = Default::default();
    for (k, j) in c.journeys.iter().enumerate() {
        let d = definition(j, start);
        let created = store.create_journey(ws, &format!("j{k}"), &d, before).await.unwrap();
        store.publish_journey(ws, created.id, None, before).await.unwrap();
        marketing.insert(created.id, j.marketing);
    }

    // Everyone is a WeCom friend who ordered once before.
    let mut history = Vec::new();
    for i in 0..c.people {
        let t = ts(before);
        history.push(
            json!({"type": "identify", "userId": format!("p{i}"), "messageId": format!("id-{i}"), "timestamp": t,
            "traits": {"wecom_external_userid": format!("wm-{i}")}}),
        );
        history.push(
            json!({"type": "track", "event": "Contact Added", "userId": format!("p{i}"), "messageId": format!("ca-{i}"),
            "timestamp": t, "properties": {"channel": "wecom", "staff_id": "staff-1"}}),
        );
        history.push(order(i, "0", before - Duration::days(5)));
    }
    append(&*store, ws, history).await;

    // Three days, each: the people's doings at 12:00, then the runner at 12:00, 13:00 and the
    // next morning.
    for day in 0..3usize {
        let noon = start + Duration::days(day as i64);
        hands.set(noon);
        let mut doings = Vec::new();
        for i in 0..c.people {
            let (orders, live) = c.doings[day * c.people + i];
            if orders {
                doings.push(order(i, &format!("{day}"), noon - Duration::minutes(5)));
            }
            if live {
                doings.push(json!({"type": "track", "event": "Live Entered", "userId": format!("p{i}"),
                    "messageId": format!("le-{i}-{day}"), "timestamp": ts(noon - Duration::minutes(4)),
                    "properties": {"session_id": format!("s{day}")}}));
            }
        }
        append(&*store, ws, doings).await;
        for t in [noon, noon + Duration::hours(1) + Duration::minutes(1), noon + Duration::hours(20)] {
            hands.set(t);
            engine.refresh(ws).await.unwrap();
            runner.run(ws).await.unwrap();
        }
    }

    for m in store.messages(ws, None, 100_000).await.unwrap() {
        let Some(journey) = m.journey else { continue };
        // The store's day it goes out on: the walk's, with quiet hours off.
        let day = m.day;
        let held = group.holds_out(ws, m.person, day);
        if marketing[&journey] {
            prop_assert!(!held, "a marketing journey reached {} held out on {day}: {:?}", m.person, c);
            seen.marketing_to_treated.fetch_add(1, Ordering::Relaxed);
        } else if held {
            seen.service_to_control.fetch_add(1, Ordering::Relaxed);
        }
    }
    // Entered nobody held out on the day they entered, either.
    for i in 0..c.people {
        let person = person_by(&*store, ws, IdentifierKind::UserId, &format!("p{i}")).await.unwrap();
        for e in store.person_enrollments(ws, person).await.unwrap() {
            let day = e.entered_at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
            prop_assert!(
                !(marketing[&e.journey] && group.holds_out(ws, person, day)),
                "{person} entered while held out"
            );
        }
    }
    Ok(())
}

fn order(i: usize, n: &str, t: DateTime<Utc>) -> Value {
    json!({"type": "track", "event": "Order Completed", "userId": format!("p{i}"), "messageId": format!("o-{i}-{n}"),
           "timestamp": ts(t), "properties": {"order_id": format!("{i}-{n}"), "revenue": 30,
           "products": [{"sku": "oat", "name": "燕麦", "category": "燕麦", "price": 30, "quantity": 1}]}})
}

#[test]
fn the_control_group_never_receives_a_marketing_message() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let seen = Seen::default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runner.run(&case(), |c| rt.block_on(run_case(c, &seen))).unwrap();
    let (m, s) = (seen.marketing_to_treated.load(Ordering::Relaxed), seen.service_to_control.load(Ordering::Relaxed));
    println!("marketing messages to the treated: {m}; service messages to the control group: {s}");
    assert!(m > 0 && s > 0, "the cases sent both kinds: {m} marketing to the treated, {s} service to the control");
}
