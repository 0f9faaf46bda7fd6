//! The runner reads the log a page at a time and writes the entries a page triggers together
//! (`log_reader.rs`): what each person's later events see must be as if every event had been
//! handled alone, and every entry must be written however many a page holds.

mod common;

use common::{Shop, append, at, person, publish, template, track};
use rekindle_core::outreach::{CapsConfig, ChannelKind};
use rekindle_store::EnrollmentState;
use rekindle_store::prelude::*;
use serde_json::{Value, json};

fn order(user: &str, id: &str, t: &str) -> Value {
    track(
        user,
        "Order Completed",
        &format!("o-{id}"),
        t,
        json!({"order_id": id, "revenue": 39.9, "products": [{"sku": "oat-1", "name": "燕麦片", "category": "燕麦", "price": 39.9, "quantity": 1}]}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_event_in_the_same_page_sees_the_entries_of_the_person_s_earlier_one() {
    let s = Shop::open(at("2026-05-01T04:00:00Z"), CapsConfig::default()).await;
    publish(
        &s,
        "复购观察",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [{"id": "wait", "type": "wait", "minutes": 600}],
            "goal": {"event": "Order Completed", "within_days": 7},
            "reentry": {"type": "always"},
        }),
    )
    .await;
    // One append, so one page: a's second order comes after b's, with a's first entry held.
    append(
        &s,
        vec![
            order("a", "1", "2026-05-01T03:00:00Z"),
            order("b", "2", "2026-05-01T03:05:00Z"),
            order("a", "3", "2026-05-01T03:10:00Z"),
        ],
    )
    .await;
    let pass = s.runner.run(s.ws).await.unwrap();
    assert_eq!((pass.events, pass.entered, pass.closed), (3, 3, 1), "{pass:?}");
    let states = |v: Vec<rekindle_store::Enrollment>| {
        let mut s: Vec<_> = v.into_iter().map(|e| (e.entered_at, e.state)).collect();
        s.sort_by_key(|x| x.0);
        s
    };
    let a = s.store.person_enrollments(s.ws, person(&s, "a").await).await.unwrap();
    assert_eq!(
        states(a),
        vec![
            (at("2026-05-01T03:00:00Z"), EnrollmentState::Converted),
            (at("2026-05-01T03:10:00Z"), EnrollmentState::Active)
        ],
        "a's second order converts the entry of the first, then enters again"
    );
    let b = s.store.person_enrollments(s.ws, person(&s, "b").await).await.unwrap();
    assert_eq!(states(b), vec![(at("2026-05-01T03:05:00Z"), EnrollmentState::Active)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_holding_more_entries_than_one_write_enters_and_sends_to_everyone_once() {
    let s = Shop::open(at("2026-05-01T04:00:00Z"), CapsConfig::default()).await;
    s.store
        .put_message_template(s.ws, &template("thanks", ChannelKind::Sms, "谢谢惠顾，拒收请回复R", Some("SMS_1")))
        .await
        .unwrap();
    publish(
        &s,
        "下单感谢",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [{"id": "send", "type": "send", "channel": "sms", "template": "thanks"}],
        }),
    )
    .await;
    let people = 320;
    let mut events = Vec::new();
    for i in 0..people {
        events.push(json!({"type": "identify", "userId": format!("u{i}"), "messageId": format!("id-{i}"),
            "timestamp": "2026-05-01T02:00:00Z", "traits": {"phone": format!("{}", 13_800_000_000u64 + i)}}));
        events.push(order(&format!("u{i}"), &i.to_string(), "2026-05-01T03:00:00Z"));
    }
    append(&s, events).await;
    let pass = s.runner.run(s.ws).await.unwrap();
    assert_eq!((pass.entered, pass.queued), (people as usize, people as usize), "{pass:?}");
    for i in [0, 150, 299, 300, people - 1] {
        let who = person(&s, &format!("u{i}")).await;
        assert_eq!(s.store.messages(s.ws, Some(who), 10).await.unwrap().len(), 1, "u{i}");
    }
    // Read again from the start: nobody enters or is sent to twice.
    s.store.set_journey_cursor(s.ws, 0).await.unwrap();
    let again = s.runner.run(s.ws).await.unwrap();
    assert_eq!((again.entered, again.queued), (0, 0), "{again:?}");
}
