//! Launch safety on a real (SQLite) store with the clock moved by hand (docs/journeys.md,
//! "Launch safety"): a scheduled journey to a few hundred people enters at most its daily
//! limit each day, however many runners pass; a journey's coupons stop at its budget; and the
//! dispatcher holds a channel to its send rate without losing a message.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use common::{Shop, append, at, publish, template};
use rekindle_core::JourneyId;
use rekindle_core::outreach::{CapsConfig, ChannelKind, CouponDefinition, CouponValue, MessageTemplate, SendRates};
use rekindle_journeys::Runner;
use rekindle_store::OutboxState;
use rekindle_store::prelude::*;
use serde_json::json;

async fn shop(now: DateTime<Utc>) -> Shop {
    Shop::open(now, CapsConfig::default()).await
}

/// `n` customers, each with a WeCom id and one order.
async fn customers(s: &Shop, n: usize, t: &str) {
    let mut batch = Vec::new();
    for i in 0..n {
        let user = format!("u{i}");
        batch.push(json!({"type": "identify", "userId": user, "messageId": format!("id-{i}"), "timestamp": t,
            "traits": {"wecom_external_userid": format!("wm-{i}"), "nickname": format!("客{i}")}}));
        batch.push(json!({"type": "track", "event": "Order Completed", "userId": user, "messageId": format!("o-{i}"),
            "timestamp": t, "properties": {"order_id": format!("o{i}"), "revenue": 19.9}}));
    }
    append(s, batch).await;
}

/// A coupon of `fen` off, valid a week, five a person.
async fn put_coupon(s: &Shop, name: &str, title: &str, fen: i64) {
    let coupon = CouponDefinition {
        name: name.into(),
        title: title.into(),
        value: CouponValue::Amount { fen },
        threshold_fen: 0,
        valid_days: 7,
        per_person_limit: 5,
    };
    s.store.put_coupon(s.ws, &coupon).await.unwrap();
}

/// The person [`customers`] made as `u{i}`.
async fn customer(s: &Shop, i: usize) -> rekindle_core::PersonId {
    let who = rekindle_store::PersonRef::Identifier(rekindle_core::Identifier {
        kind: rekindle_core::IdentifierKind::UserId,
        value: format!("u{i}"),
    });
    s.store.person(s.ws, &who).await.unwrap().expect("a customer").id
}

async fn entered(s: &Shop, j: JourneyId) -> i64 {
    s.store.journey_conversions(s.ws, j).await.unwrap().iter().map(|c| c.entered).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_journey_to_hundreds_enters_its_daily_limit_day_by_day() {
    // 08:00 in Shanghai.
    let s = shop(at("2026-06-01T00:00:00Z")).await;
    customers(&s, 300, "2026-05-30T02:00:00Z").await;
    let j = publish(
        &s,
        "限量唤回",
        json!({
            "trigger": {"type": "schedule", "daily_at": "10:00"},
            "audience": "订单数 >= 1",
            "steps": [{"id": "wait", "type": "wait", "minutes": 60}],
            "limits": {"entries_per_day": 120, "entries_total": 280},
        }),
    )
    .await;
    s.engine.refresh(s.ws).await.unwrap();
    let refused = |s: &Shop| {
        let (store, ws) = (s.store.clone(), s.ws);
        async move { store.journey_entry_refusals(ws, j).await.unwrap().into_iter().collect::<BTreeMap<_, _>>() }
    };

    let mut by_day = Vec::new();
    for day in 0..4 {
        let ten = at("2026-06-01T02:00:00Z") + Duration::days(day);
        s.hands.set(ten);
        let before = entered(&s, j).await;
        s.runner.run(s.ws).await.unwrap();
        // A second runner (another node, a restart) passing the same moment enters no more.
        let other = Runner::new(s.store.clone(), s.engine.clone(), CapsConfig::default());
        other.run(s.ws).await.unwrap();
        s.hands.set(ten + Duration::hours(5));
        s.runner.run(s.ws).await.unwrap();
        by_day.push(entered(&s, j).await - before);
        if day == 0 {
            assert_eq!(refused(&s).await, BTreeMap::from([("entries_per_day".to_owned(), 180)]), "因上限未进入");
        }
    }
    assert_eq!(by_day, [120, 120, 40, 0], "120 a day, 280 in all");
    assert_eq!(refused(&s).await, BTreeMap::from([("entries_total".to_owned(), 20)]));
    // Each day's entries fall on that day in the store's zone.
    let people = s.store.journey_entries(s.ws, at("2026-05-31T16:00:00Z"), at("2026-06-01T16:00:00Z")).await.unwrap();
    assert_eq!(people.iter().filter(|e| e.journey == j).count(), 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journeys_coupons_stop_at_its_budget() {
    let s = shop(at("2026-06-01T04:00:00Z")).await;
    put_coupon(&s, "回归礼", "回归礼包", 500).await;
    let j = publish(
        &s,
        "有预算",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [{"id": "gift", "type": "coupon", "coupon": "回归礼"}],
            "reentry": {"type": "always"},
            "limits": {"coupon_budget": 3},
        }),
    )
    .await;
    customers(&s, 5, "2026-06-01T03:00:00Z").await;
    s.runner.run(s.ws).await.unwrap();
    s.runner.run(s.ws).await.unwrap();
    let steps = s.store.journey_step_counts(s.ws, j).await.unwrap();
    let count = |outcome: &str| steps.iter().filter(|r| r.outcome == outcome).map(|r| r.count).sum::<i64>();
    assert_eq!((count("entered"), count("coupon_issued"), count("coupon_budget")), (5, 3, 2), "{steps:?}");
    let mut held = 0;
    for i in 0..5 {
        let p = customer(&s, i).await;
        held += s.store.person_coupons(s.ws, p).await.unwrap().len();
    }
    assert_eq!(held, 3, "no coupon beyond the budget");
}

/// An entry's first walk is planned before the entry is written (one write for both), unless
/// the walk writes elsewhere: a coupon is issued only to those the entry limit lets in, and a
/// message is queued only for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_limit_turns_people_away_before_their_coupon_or_message() {
    let s = shop(at("2026-06-01T04:00:00Z")).await;
    put_coupon(&s, "见面礼", "见面礼包", 300).await;
    s.store.put_message_template(s.ws, &template("问候", ChannelKind::Wecom, "你好", None)).await.unwrap();
    let gift = publish(
        &s,
        "限量礼",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [{"id": "gift", "type": "coupon", "coupon": "见面礼", "next": "hello"},
                      {"id": "hello", "type": "send", "channel": "wecom", "template": "问候"}],
            "limits": {"entries_total": 2},
        }),
    )
    .await;
    let hello = publish(
        &s,
        "限量问候",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [{"id": "hello", "type": "send", "channel": "wecom", "template": "问候"}],
            "limits": {"entries_total": 3},
        }),
    )
    .await;
    customers(&s, 5, "2026-06-01T03:00:00Z").await;
    s.runner.run(s.ws).await.unwrap();
    s.runner.run(s.ws).await.unwrap();
    assert_eq!((entered(&s, gift).await, entered(&s, hello).await), (2, 3));
    let (mut coupons, mut messages) = (0, BTreeMap::new());
    for i in 0..5 {
        let p = customer(&s, i).await;
        coupons += s.store.person_coupons(s.ws, p).await.unwrap().len();
        for m in s.store.messages(s.ws, Some(p), 10).await.unwrap() {
            *messages.entry(m.journey).or_insert(0) += 1;
            // Its send key names the enrollment that queued it, by the id reserved before the
            // enrollment was written.
            let e: i64 = m.send_key.split(':').next().and_then(|id| id.parse().ok()).expect("an enrollment's id");
            let enrollment = s.store.enrollment(s.ws, e).await.unwrap().expect("the enrollment");
            assert_eq!((enrollment.person, Some(enrollment.journey)), (p, m.journey), "{}", m.send_key);
        }
    }
    assert_eq!(coupons, 2, "no coupon for those turned away");
    assert_eq!(messages, BTreeMap::from([(Some(gift), 2), (Some(hello), 3)]), "a message only for those let in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dispatcher_keeps_a_channel_to_its_send_rate_and_loses_nothing() {
    use rekindle_delivery::standin::{Provider, StandIn};
    use rekindle_journeys::dispatch::DispatchConfig;
    rekindle_delivery::install_crypto_provider();
    let wecom = StandIn::start(Provider::Wecom).await;
    // 14:00 in Shanghai, outside quiet hours.
    let s = shop(at("2026-06-01T06:00:00Z")).await;
    s.store
        .put_message_template(
            s.ws,
            &MessageTemplate {
                transactional: true,
                ..template("你好", ChannelKind::Wecom, "{{nickname|亲}}，你好", None)
            },
        )
        .await
        .unwrap();
    publish(
        &s,
        "问候",
        json!({"trigger": {"type": "event", "event": "Order Completed"},
               "steps": [{"id": "hi", "type": "send", "channel": "wecom", "template": "你好"}]}),
    )
    .await;
    customers(&s, 25, "2026-06-01T05:59:00Z").await;
    for i in 0..25 {
        append(&s, vec![json!({"type": "track", "event": "Contact Added", "userId": format!("u{i}"), "messageId": format!("c-{i}"),
            "timestamp": "2026-06-01T05:59:00Z", "properties": {"channel": "wecom", "staff_id": "staff-1"}})]).await;
    }
    s.engine.refresh(s.ws).await.unwrap();
    s.runner.run(s.ws).await.unwrap();
    let queued = s.store.messages(s.ws, None, 100).await.unwrap();
    assert_eq!(queued.iter().filter(|m| m.state == OutboxState::Queued).count(), 25, "{queued:?}");

    let rates = SendRates { rate_per_minute: [(ChannelKind::Wecom, 10)].into() };
    let config = DispatchConfig { rates, ..DispatchConfig::default() };
    let dispatcher = common::dispatcher(&s.store, &wecom, s.hands.clock(), config);
    // Minute by minute: ten go each minute (a full bucket at first, then ten a minute), the
    // rest wait their turn without using up their attempts.
    let mut sent = Vec::new();
    for minute in 0..4 {
        s.hands.set(at("2026-06-01T06:00:00Z") + Duration::minutes(minute));
        let mut this_minute = 0;
        for _ in 0..5 {
            let round = dispatcher.round().await.unwrap();
            this_minute += round.sent;
            assert_eq!(round.failed, 0, "{round:?}");
        }
        sent.push(this_minute);
    }
    assert_eq!(sent, [10, 10, 5, 0], "ten a minute");
    let all = s.store.messages(s.ws, None, 100).await.unwrap();
    assert!(all.iter().all(|m| m.state == OutboxState::Sent || m.state == OutboxState::Awaiting), "none lost");
    assert_eq!(wecom.mass_tasks().len(), 25);
    assert!(all.iter().all(|m| m.attempts <= 1), "waiting is not an attempt");
}
