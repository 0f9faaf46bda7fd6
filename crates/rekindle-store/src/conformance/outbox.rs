//! The outbox (caps counted per store day and across a merge, claims and outcomes), templates,
//! coupons and consent.

use chrono::Duration;
use rekindle_core::PersonId;
use rekindle_core::outreach::{CapsConfig, ChannelKind, CouponDefinition, CouponValue, MessageTemplate, Skip};

use super::journeys::message;
use super::{default_ws, t0};
use crate::{CouponIssue, DeliveryError, Dispatched, NewMessage, OutboxState, Queued, Store, StoreError};

pub async fn caps_are_counted_per_store_day(store: &dyn Store) {
    let ws = default_ws(store).await;
    let caps = CapsConfig::default();
    let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
    let q = |m: NewMessage| async move { store.queue(ws, &[m], &CapsConfig::default()).await.unwrap().remove(0) };
    assert!(matches!(q(message("1", a, ChannelKind::Sms, "2026-05-01")).await, Queued::Queued(_)));
    assert_eq!(q(message("2", a, ChannelKind::Sms, "2026-05-01")).await, Queued::Skipped(Skip::ChannelDailyCap));
    let transactional = NewMessage { transactional: true, ..message("3", a, ChannelKind::Sms, "2026-05-01") };
    assert!(matches!(q(transactional).await, Queued::Queued(_)), "transactional skips marketing caps");
    assert!(matches!(q(message("4", a, ChannelKind::Sms, "2026-05-02")).await, Queued::Queued(_)), "a new day");
    // Per number: b shares the number; by now it has had 2 SMS on the 1st. Three more fill it.
    for i in 0..3 {
        let m = NewMessage { transactional: true, ..message(&format!("n{i}"), b, ChannelKind::Sms, "2026-05-01") };
        assert!(matches!(q(m).await, Queued::Queued(_)));
    }
    let sixth = NewMessage { transactional: true, ..message("n3", b, ChannelKind::Sms, "2026-05-01") };
    assert_eq!(q(sixth).await, Queued::Skipped(Skip::SmsNumberDailyLimit));
    // Across channels: a has had one marketing message on the 2nd; one more on another channel fits.
    let mut wecom = message("w1", a, ChannelKind::Wecom, "2026-05-02");
    wecom.sender = Some("staff-1".into());
    assert!(matches!(q(wecom.clone()).await, Queued::Queued(_)));
    let mut staff_again = NewMessage { send_key: "w2".into(), transactional: true, ..wecom.clone() };
    assert_eq!(q(staff_again.clone()).await, Queued::Skipped(Skip::WecomStaffDailyLimit));
    staff_again.sender = Some("staff-2".into());
    staff_again.send_key = "w3".into();
    assert!(matches!(q(staff_again).await, Queued::Queued(_)), "another staff member may");
    let third = message("m1", a, ChannelKind::Miniprogram, "2026-05-02");
    assert_eq!(q(third).await, Queued::Skipped(Skip::DailyCap));
    // Mini-program: one acceptance, one send.
    let mp =
        |k: &str| NewMessage { template: Some("TPL".into()), ..message(k, b, ChannelKind::Miniprogram, "2026-05-03") };
    assert_eq!(q(mp("mp1")).await, Queued::Skipped(Skip::NotSubscribed));
    store.add_subscription(ws, b, "TPL", "accept-1", t0()).await.unwrap();
    store.add_subscription(ws, b, "TPL", "accept-1", t0()).await.unwrap();
    assert_eq!(store.subscription_credits(ws, b).await.unwrap(), [("TPL".to_owned(), 1)]);
    assert!(matches!(q(mp("mp2")).await, Queued::Queued(_)));
    assert_eq!(store.subscription_credits(ws, b).await.unwrap(), [("TPL".to_owned(), 0)]);
    let next_day =
        NewMessage { template: Some("TPL".into()), ..message("mp3", b, ChannelKind::Miniprogram, "2026-05-04") };
    assert_eq!(q(next_day).await, Queued::Skipped(Skip::NotSubscribed), "the acceptance is used up");
    // Decided elsewhere, recorded here.
    let opted = NewMessage { skip: Some(Skip::OptedOut), ..message("o1", b, ChannelKind::Sms, "2026-05-09") };
    assert_eq!(q(opted).await, Queued::Skipped(Skip::OptedOut));
    let skipped = store.messages(ws, Some(b), 1).await.unwrap().remove(0);
    assert_eq!((skipped.state, skipped.error_code.as_deref()), (OutboxState::Skipped, Some("opted_out")));
    // Webhooks are not capped.
    for i in 0..5 {
        assert!(matches!(q(message(&format!("h{i}"), a, ChannelKind::Webhook, "2026-05-02")).await, Queued::Queued(_)));
    }
    let _ = caps;
}

pub async fn outbox_claims_and_records(store: &dyn Store) {
    let ws = default_ws(store).await;
    let caps = CapsConfig { per_day: 100, per_channel_per_day: Default::default(), ..CapsConfig::default() };
    let p = PersonId::new_v7();
    let later =
        NewMessage { not_before: t0() + Duration::hours(9), ..message("later", p, ChannelKind::Webhook, "2026-05-01") };
    store.queue(ws, &[message("now", p, ChannelKind::Webhook, "2026-05-01"), later], &caps).await.unwrap();
    let lease = Duration::seconds(30);
    let claimed = store.claim_messages(t0(), lease, 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|m| (m.send_key.as_str(), m.state, m.attempts, m.recovered)).collect::<Vec<_>>(),
        [("now", OutboxState::Sending, 1, false)]
    );
    assert!(store.claim_messages(t0(), lease, 10).await.unwrap().is_empty(), "claimed once");
    let error = DeliveryError { kind: "throttled".into(), code: "429".into(), message: "slow down".into() };
    let retry_at = t0() + Duration::minutes(1);
    store.record_dispatch(claimed[0].id, &Dispatched::Retry { at: retry_at, error }, t0()).await.unwrap();
    assert!(store.claim_messages(t0(), lease, 10).await.unwrap().is_empty(), "not before the retry time");
    let again = store.claim_messages(retry_at, lease, 10).await.unwrap();
    assert_eq!(again.iter().map(|m| (m.attempts, m.error_code.as_deref())).collect::<Vec<_>>(), [(2, Some("429"))]);
    // The dispatcher dies: after the lease the message comes back, marked recovered.
    let recovered = store.claim_messages(retry_at + Duration::seconds(31), lease, 10).await.unwrap();
    assert_eq!(recovered.iter().map(|m| (m.id, m.attempts, m.recovered)).collect::<Vec<_>>(), [(again[0].id, 2, true)]);
    let sent = Dispatched::Sent { provider_id: Some("biz-1".into()), awaiting: true };
    store.record_dispatch(again[0].id, &sent, retry_at).await.unwrap();
    assert!(
        matches!(store.record_dispatch(again[0].id, &sent, retry_at).await, Err(StoreError::NotFound(_))),
        "only while sending"
    );
    let awaiting = store.messages_in_state(OutboxState::Awaiting, 10).await.unwrap();
    assert_eq!(
        awaiting.iter().map(|m| (m.send_key.as_str(), m.provider_id.as_deref())).collect::<Vec<_>>(),
        [("now", Some("biz-1"))]
    );
    assert!(store.mark_delivered(ws, "now", retry_at).await.unwrap());
    assert!(!store.mark_delivered(ws, "nope", retry_at).await.unwrap());
    // Many marks in one go: counted by the messages they name; a message delivered stays so.
    let marks = [("nope".to_owned(), retry_at), ("now".to_owned(), retry_at + Duration::seconds(5))];
    assert_eq!(store.mark_all_delivered(ws, &marks).await.unwrap(), 1);
    assert_eq!(store.mark_all_delivered(ws, &[]).await.unwrap(), 0);
    let messages = store.messages(ws, Some(p), 10).await.unwrap();
    assert_eq!(
        messages.iter().map(|m| (m.send_key.as_str(), m.state)).collect::<Vec<_>>(),
        [("later", OutboxState::Queued), ("now", OutboxState::Delivered)]
    );
    // A second mass send the staff member never confirms fails; only while awaiting.
    let unconfirmed = message("unconfirmed", PersonId::new_v7(), ChannelKind::Webhook, "2026-05-01");
    store.queue(ws, &[unconfirmed], &caps).await.unwrap();
    let claimed = store.claim_messages(t0() + Duration::minutes(1), lease, 10).await.unwrap();
    let id = claimed.iter().find(|m| m.send_key == "unconfirmed").unwrap().id;
    store
        .record_dispatch(id, &Dispatched::Sent { provider_id: Some("msg-2".into()), awaiting: true }, t0())
        .await
        .unwrap();
    let never = DeliveryError { kind: "user_refused".into(), code: "unconfirmed".into(), message: "7 days".into() };
    assert!(store.fail_awaiting(id, &never, t0()).await.unwrap());
    assert!(!store.fail_awaiting(id, &never, t0()).await.unwrap(), "no longer awaiting");
    assert!(store.messages_in_state(OutboxState::Awaiting, 10).await.unwrap().is_empty());
    let failed = store.claim_messages(t0() + Duration::hours(10), lease, 10).await.unwrap();
    let refusal = DeliveryError { kind: "user_refused".into(), code: "43101".into(), message: "refused".into() };
    store.record_dispatch(failed[0].id, &Dispatched::Failed(refusal), t0()).await.unwrap();
    let last = store.messages(ws, Some(p), 1).await.unwrap().remove(0);
    assert_eq!((last.state, last.error_kind.as_deref()), (OutboxState::Failed, Some("user_refused")));
}

/// Caps count what was queued to a person under the id of anyone since merged into them.
pub async fn caps_count_across_a_merge(store: &dyn Store) {
    use super::{append, msg, person_of};
    use rekindle_core::IdentifierKind;
    let ws = default_ws(store).await;
    let track = |who: (&str, &str), id: &str| {
        msg(serde_json::json!({"type": "track", "event": "Live Entered", "messageId": id, who.0: who.1}))
    };
    append(store, ws, &[track(("anonymousId", "dev-8"), "c1")]).await;
    append(store, ws, &[track(("userId", "u8"), "c2")]).await;
    let anon = person_of(store, ws, IdentifierKind::AnonymousId, "dev-8").await.unwrap();
    let user = person_of(store, ws, IdentifierKind::UserId, "u8").await.unwrap();
    let (survivor, merged) = (anon.min(user), anon.max(user));
    let caps = CapsConfig::default();
    let first = store.queue(ws, &[message("k1", merged, ChannelKind::Sms, "2026-05-01")], &caps).await.unwrap();
    assert!(matches!(first[..], [Queued::Queued(_)]));
    let alias = msg(serde_json::json!({"type": "alias", "userId": "u8", "previousId": "dev-8", "messageId": "c3"}));
    assert_eq!(append(store, ws, &[alias]).await.merges, 1);
    let second = store.queue(ws, &[message("k2", survivor, ChannelKind::Sms, "2026-05-01")], &caps).await.unwrap();
    assert_eq!(second, [Queued::Skipped(Skip::ChannelDailyCap)], "the merged person's SMS of the day counts");
}

pub async fn templates_and_coupons(store: &dyn Store) {
    let ws = default_ws(store).await;
    let template = MessageTemplate {
        name: "复购".into(),
        channel: ChannelKind::Wecom,
        text: "{{nickname|亲}}，{{last_product}}快吃完了".into(),
        provider_template: None,
        params: vec![],
        link: None,
        transactional: false,
        attachments: vec![],
    };
    store.put_message_template(ws, &template).await.unwrap();
    store.put_message_template(ws, &MessageTemplate { text: "x".into(), ..template.clone() }).await.unwrap();
    assert_eq!(store.message_templates(ws).await.unwrap()[0].text, "x", "put replaces");
    store.delete_message_template(ws, "复购").await.unwrap();
    assert!(matches!(store.delete_message_template(ws, "复购").await, Err(StoreError::NotFound(_))));

    let coupon = CouponDefinition {
        name: "85折".into(),
        title: "复购85折".into(),
        value: CouponValue::Discount { percent: 85 },
        threshold_fen: 0,
        valid_days: 7,
        per_person_limit: 1,
    };
    store.put_coupon(ws, &coupon).await.unwrap();
    assert_eq!(store.coupons(ws).await.unwrap(), [coupon]);
    let p = PersonId::new_v7();
    let CouponIssue::Issued(c) = store.issue_coupon(ws, "85折", p, "k1", t0()).await.unwrap() else {
        panic!("issued")
    };
    assert_eq!(c.expires_at, t0() + Duration::days(7));
    assert_eq!(store.issue_coupon(ws, "85折", p, "k1", t0()).await.unwrap(), CouponIssue::Again(c.clone()));
    assert_eq!(store.issue_coupon(ws, "85折", p, "k2", t0()).await.unwrap(), CouponIssue::LimitReached);
    assert!(matches!(store.issue_coupon(ws, "nope", p, "k3", t0()).await, Err(StoreError::NotFound(_))));
    assert!(!store.redeem_coupon(ws, &c.code, None, t0() + Duration::days(8)).await.unwrap(), "expired");
    assert!(store.redeem_coupon(ws, &c.code, Some("o-1"), t0() + Duration::days(1)).await.unwrap());
    assert!(!store.redeem_coupon(ws, &c.code, Some("o-2"), t0() + Duration::days(2)).await.unwrap(), "once");
    let held = store.person_coupons(ws, p).await.unwrap();
    assert_eq!(held.iter().map(|c| c.order_id.as_deref()).collect::<Vec<_>>(), [Some("o-1")]);
}

pub async fn consent_latest_wins(store: &dyn Store) {
    let ws = default_ws(store).await;
    let p = PersonId::new_v7();
    store.set_consent(ws, p, ChannelKind::Sms, false, "reply R", t0()).await.unwrap();
    store.set_consent(ws, p, ChannelKind::Sms, true, "late import", t0() - Duration::hours(1)).await.unwrap();
    assert_eq!(
        store.opted_out(ws, p).await.unwrap(),
        [ChannelKind::Sms],
        "an older opt-in does not undo a newer opt-out"
    );
    store.set_consent(ws, p, ChannelKind::Wecom, false, "console", t0()).await.unwrap();
    assert_eq!(store.opted_out(ws, p).await.unwrap(), [ChannelKind::Sms, ChannelKind::Wecom]);
    store.set_consent(ws, p, ChannelKind::Sms, true, "opted in again", t0() + Duration::hours(1)).await.unwrap();
    assert_eq!(store.opted_out(ws, p).await.unwrap(), [ChannelKind::Wecom]);
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert!(store.opted_out(other, p).await.unwrap().is_empty());
}

/// Outcomes recorded together land each on its own message; one no longer being sent is
/// `NotFound` without failing the others.
pub async fn dispatches_are_recorded_together(store: &dyn Store) {
    let ws = default_ws(store).await;
    let p = PersonId::new_v7();
    let keys = ["a", "b"];
    let messages: Vec<_> = keys.iter().map(|k| message(k, p, ChannelKind::Webhook, "2026-05-01")).collect();
    store.queue(ws, &messages, &CapsConfig::default()).await.unwrap();
    let claimed = store.claim_messages(t0(), Duration::seconds(30), 10).await.unwrap();
    let id = |key: &str| claimed.iter().find(|m| m.send_key == key).unwrap().id;
    let error = DeliveryError { kind: "rejected".into(), code: "400".into(), message: "bad number".into() };
    let outcomes = [
        (id("a"), Dispatched::Sent { provider_id: Some("p-a".into()), awaiting: false }),
        (i64::MAX, Dispatched::Failed(error.clone())),
        (id("b"), Dispatched::Failed(error)),
    ];
    let results = store.record_dispatches(&outcomes, t0()).await.unwrap();
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::NotFound(_))), "{results:?}");
    let states: Vec<_> =
        store.messages(ws, Some(p), 10).await.unwrap().into_iter().map(|m| (m.send_key, m.state)).collect();
    assert!(states.contains(&("a".to_string(), OutboxState::Sent)), "{states:?}");
    assert!(states.contains(&("b".to_string(), OutboxState::Failed)), "{states:?}");
}
