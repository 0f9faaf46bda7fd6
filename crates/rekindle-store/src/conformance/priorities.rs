//! Caps over rolling windows and per tag, priorities taking a queued lower message's slot,
//! deferral, and channel fallback: all decided inside the queueing transaction.

use chrono::{Duration, NaiveDate};
use rekindle_core::PersonId;
use rekindle_core::journey::WhenCapped;
use rekindle_core::outreach::{CapsConfig, ChannelKind, RollingCap, Skip, WindowCap};

use super::journeys::message;
use super::{default_ws, t0};
use crate::{NewMessage, OutboxMessage, OutboxState, Queued, Store};

fn sms(key: &str, person: PersonId, day: &str, priority: u8) -> NewMessage {
    NewMessage { priority, ..message(key, person, ChannelKind::Sms, day) }
}

fn deferring(m: NewMessage) -> NewMessage {
    NewMessage { when_capped: WhenCapped::Defer, ..m }
}

async fn row(store: &dyn Store, person: PersonId, key: &str) -> OutboxMessage {
    let ws = default_ws(store).await;
    let all = store.messages(ws, Some(person), 100).await.unwrap();
    all.into_iter().find(|m| m.send_key == key).unwrap_or_else(|| panic!("message {key} is in the outbox"))
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub async fn rolling_and_tag_caps_are_counted_in_the_store(store: &dyn Store) {
    let ws = default_ws(store).await;
    let caps = CapsConfig {
        per_day: 100,
        per_channel_per_day: Default::default(),
        rolling: vec![RollingCap { days: 7, max: 2, channel: None }],
        per_tag: [("promotion".to_owned(), WindowCap { days: 3, max: 1 })].into_iter().collect(),
        ..CapsConfig::default()
    };
    let q = |m: NewMessage| {
        let caps = caps.clone();
        async move { store.queue(ws, &[m], &caps).await.unwrap().remove(0) }
    };
    let tags_only = CapsConfig { rolling: Vec::new(), ..caps.clone() };
    let a = PersonId::new_v7();
    assert!(matches!(q(message("a1", a, ChannelKind::Sms, "2026-05-01")).await, Queued::Queued(_)));
    assert!(matches!(q(message("a2", a, ChannelKind::Wecom, "2026-05-03")).await, Queued::Queued(_)));
    let third = message("a3", a, ChannelKind::Miniprogram, "2026-05-07");
    assert_eq!(q(third).await, Queued::Skipped(Skip::RollingCap), "two in the 7 days ending on the 7th");
    let transactional = NewMessage { transactional: true, ..message("a4", a, ChannelKind::Sms, "2026-05-07") };
    assert!(matches!(q(transactional).await, Queued::Queued(_)), "transactional is not marketing");
    assert!(matches!(q(message("a5", a, ChannelKind::Sms, "2026-05-08")).await, Queued::Queued(_)), "the 1st left");

    let q = |m: NewMessage| {
        let caps = tags_only.clone();
        async move { store.queue(ws, &[m], &caps).await.unwrap().remove(0) }
    };
    let b = PersonId::new_v7();
    let promo = |k: &str, d: &str| NewMessage { tag: Some("promotion".into()), ..message(k, b, ChannelKind::Sms, d) };
    assert!(matches!(q(promo("b1", "2026-05-01")).await, Queued::Queued(_)));
    assert_eq!(q(promo("b2", "2026-05-03")).await, Queued::Skipped(Skip::TagCap));
    let news = NewMessage { tag: Some("news".into()), ..message("b3", b, ChannelKind::Wecom, "2026-05-03") };
    assert!(matches!(q(news).await, Queued::Queued(_)), "other tags are not counted");
    assert!(matches!(q(promo("b4", "2026-05-04")).await, Queued::Queued(_)), "three days on");
}

pub async fn priorities_take_queued_slots_and_deferrals_wait(store: &dyn Store) {
    let ws = default_ws(store).await;
    // One SMS a day.
    let q = |m: NewMessage| async move { store.queue(ws, &[m], &CapsConfig::default()).await.unwrap().remove(0) };
    // A message a dispatcher holds keeps its slot.
    let e = PersonId::new_v7();
    assert!(matches!(q(sms("e-low", e, "2026-05-01", 1)).await, Queued::Queued(_)));
    assert_eq!(store.claim_messages(t0(), Duration::seconds(30), 10).await.unwrap().len(), 1);
    assert_eq!(q(sms("e-high", e, "2026-05-01", 9)).await, Queued::Skipped(Skip::ChannelDailyCap));
    // Later messages wait past the claim above.
    let later = |m: NewMessage| NewMessage { not_before: t0() + Duration::hours(1), ..m };

    let a = PersonId::new_v7();
    assert!(matches!(q(later(sms("a-low", a, "2026-05-01", 3))).await, Queued::Queued(_)));
    assert!(matches!(q(later(sms("a-high", a, "2026-05-01", 7))).await, Queued::Queued(_)));
    let low = row(store, a, "a-low").await;
    assert_eq!((low.state, low.error_code.as_deref()), (OutboxState::Skipped, Some("outranked")));
    assert_eq!(q(later(sms("a-equal", a, "2026-05-01", 7))).await, Queued::Skipped(Skip::ChannelDailyCap));

    // The outranked message of a journey that defers moves to the next day with room.
    let b = PersonId::new_v7();
    assert!(matches!(q(later(sms("b-next", b, "2026-05-02", 5))).await, Queued::Queued(_)));
    assert!(matches!(q(deferring(later(sms("b-low", b, "2026-05-01", 2)))).await, Queued::Queued(_)));
    assert!(matches!(q(later(sms("b-high", b, "2026-05-01", 8))).await, Queued::Queued(_)));
    let moved = row(store, b, "b-low").await;
    assert_eq!((moved.state, moved.day), (OutboxState::Queued, day("2026-05-03")), "the 2nd is taken");
    assert_eq!(moved.not_before, t0() + Duration::hours(1) + Duration::days(2), "the same time of day");

    // A deferring message with no slot waits for a day with one, a week at most.
    let c = PersonId::new_v7();
    assert!(matches!(q(later(sms("c-first", c, "2026-05-01", 9))).await, Queued::Queued(_)));
    assert!(matches!(q(deferring(later(sms("c-wait", c, "2026-05-01", 1)))).await, Queued::Queued(_)));
    assert_eq!(row(store, c, "c-wait").await.day, day("2026-05-02"));
    let d = PersonId::new_v7();
    for i in 0..8 {
        let on = (day("2026-05-01") + chrono::Days::new(i)).to_string();
        assert!(matches!(q(later(sms(&format!("d{i}"), d, &on, 9))).await, Queued::Queued(_)));
    }
    let full_week = deferring(later(sms("d-wait", d, "2026-05-01", 1)));
    assert_eq!(q(full_week).await, Queued::Skipped(Skip::ChannelDailyCap), "eight full days");
}

pub async fn fallbacks_take_the_first_channel_with_room(store: &dyn Store) {
    let ws = default_ws(store).await;
    let q = |m: NewMessage| async move { store.queue(ws, &[m], &CapsConfig::default()).await.unwrap().remove(0) };
    let with_sms = |m: NewMessage, sms_skip: Option<Skip>| {
        let fallback = NewMessage { skip: sms_skip, ..message(&m.send_key, m.person, ChannelKind::Sms, "2026-05-01") };
        NewMessage { fallback: vec![fallback], ..m }
    };
    // Not a friend on WeCom: SMS.
    let a = PersonId::new_v7();
    let removed = NewMessage { skip: Some(Skip::NotFriend), ..message("a", a, ChannelKind::Wecom, "2026-05-01") };
    assert!(matches!(q(with_sms(removed, None)).await, Queued::Queued(_)));
    let sent = row(store, a, "a").await;
    assert_eq!(
        (sent.channel, sent.state, sent.template.as_deref()),
        (ChannelKind::Sms, OutboxState::Queued, Some("SMS_1"))
    );
    // WeCom capped for the day: SMS.
    let b = PersonId::new_v7();
    assert!(matches!(q(message("b0", b, ChannelKind::Wecom, "2026-05-01")).await, Queued::Queued(_)));
    let capped = message("b1", b, ChannelKind::Wecom, "2026-05-01");
    assert!(matches!(q(with_sms(capped, None)).await, Queued::Queued(_)));
    assert_eq!(row(store, b, "b1").await.channel, ChannelKind::Sms);
    // Nowhere: skipped on the first channel, each channel's reason recorded.
    let c = PersonId::new_v7();
    let removed = NewMessage { skip: Some(Skip::NotFriend), ..message("c", c, ChannelKind::Wecom, "2026-05-01") };
    assert_eq!(q(with_sms(removed, Some(Skip::OptedOut))).await, Queued::Skipped(Skip::NotFriend));
    let skipped = row(store, c, "c").await;
    assert_eq!((skipped.channel, skipped.error_code.as_deref()), (ChannelKind::Wecom, Some("not_friend")));
    assert_eq!(skipped.error_message.as_deref(), Some("wecom: not_friend; sms: opted_out"));
}

/// Many enqueues of mixed priorities for one person racing for one slot: whatever the order
/// they commit in, the highest priority holds it, and only one message does.
pub async fn racing_priorities_leave_the_highest_holding_the_slot(store: &dyn Store) {
    let ws = default_ws(store).await;
    for round in 0..6u8 {
        let p = PersonId::new_v7();
        let priorities: Vec<u8> = (0..12u8).map(|k| (k * 7 + round * 5) % 9 + 1).collect();
        let tries = priorities.iter().enumerate().map(|(k, &prio)| {
            let m = NewMessage {
                not_before: t0() + Duration::hours(1),
                recipient: format!("1390000000{round}"),
                ..sms(&format!("r{round}-p{prio}-{k}"), p, "2026-05-01", prio)
            };
            async move { store.queue(ws, &[m], &CapsConfig::default()).await.unwrap().remove(0) }
        });
        futures::future::join_all(tries).await;
        let all = store.messages(ws, Some(p), 100).await.unwrap();
        let held: Vec<&OutboxMessage> = all.iter().filter(|m| m.state == OutboxState::Queued).collect();
        assert_eq!(held.len(), 1, "round {round}: one slot, one holder: {all:?}");
        let top = priorities.iter().max().unwrap();
        assert!(held[0].send_key.contains(&format!("-p{top}-")), "round {round}: {} holds it", held[0].send_key);
        assert!(all.iter().all(|m| m.state == OutboxState::Queued
            || matches!(m.error_code.as_deref(), Some("outranked" | "channel_daily_cap"))));
    }
}
