//! Erasure on request (docs/privacy.md): nothing of the person is left in any table, and the
//! workspace's order count and revenue are the same after as before.

use chrono::Duration;
use rekindle_core::journey::Reentry;
use rekindle_core::lifecycle::Stage;
use rekindle_core::money::Amounts;
use rekindle_core::outreach::{CapsConfig, ChannelKind, CouponDefinition, CouponValue};
use rekindle_core::{IdentifierKind, PersonId, WorkspaceId};
use serde_json::json;

use super::journeys::{message, published};
use super::{all_events, append, default_ws, msg, new_segment, person_of, t0};
use crate::{EventQuery, MembershipChange, NewEnrollment, PersonRef, SegmentSize, StageChange, Store, StoreError};

/// Orders and revenue in fen of a workspace, read as the engine reads them (the amounts parsed
/// at ingestion, which a kept order must not lose).
async fn order_totals(store: &dyn Store, ws: WorkspaceId) -> (usize, i64) {
    let q = EventQuery { name: Some(crate::KEPT_EVENT.into()), limit: 10_000, ..Default::default() };
    let orders = store.events(ws, &q).await.unwrap();
    let revenue = orders
        .iter()
        .map(|e| Amounts::of(&e.payload).get("revenue", e.payload["properties"].get("revenue")).get())
        .sum();
    (orders.len(), revenue)
}

/// Mum: merged from an anonymous visitor, two orders, a tag, a stage, scores, a segment, an
/// enrollment, a message, a coupon, consent, a subscription. Her son tried her phone and was
/// refused (a conflict, and an event of his that holds her phone). Returns mum's id.
async fn mum_and_son(store: &dyn Store, ws: WorkspaceId) -> PersonId {
    append(store, ws, &[
        msg(json!({"type": "track", "anonymousId": "dev-mum", "event": "Live Entered", "messageId": "m1"})),
        msg(json!({"type": "identify", "userId": "mum-7781", "messageId": "m2",
            "traits": {"phone": "13812345678", "wechat_unionid": "U-mum", "nickname": "王阿姨"}})),
        msg(json!({"type": "identify", "userId": "son-7781", "traits": {"wechat_unionid": "U-son"}, "messageId": "s1"})),
    ]).await;
    append(store, ws, &[
        msg(json!({"type": "alias", "userId": "mum-7781", "previousId": "dev-mum", "messageId": "m3"})),
        msg(json!({"type": "track", "userId": "mum-7781", "event": "Order Completed", "messageId": "m4",
            "properties": {"order_id": "o-1", "revenue": 128.5, "session_id": "live-1", "phone": "13812345678",
                "products": [{"sku": "TEA-1", "price": 128.5, "quantity": 1, "note": "王阿姨 13812345678"}]}})),
        msg(json!({"type": "track", "userId": "mum-7781", "event": "Order Completed", "messageId": "order-of-mum-7781",
            "timestamp": "2026-05-02T09:00:00Z", "properties": {"order_id": "o-2", "revenue": 60}})),
        msg(json!({"type": "identify", "userId": "son-7781", "traits": {"phone": "13812345678"}, "messageId": "s2"})),
        msg(json!({"type": "track", "userId": "son-7781", "event": "Order Completed", "messageId": "s3",
            "properties": {"order_id": "o-3", "revenue": 20}})),
    ]).await;
    let mum = person_of(store, ws, IdentifierKind::UserId, "mum-7781").await.unwrap();
    let anon_merged = store.merges(ws, Some(mum), 10).await.unwrap();
    assert_eq!(anon_merged.len(), 1, "the visitor was merged into mum");
    assert_eq!(store.conflicts(ws, 10).await.unwrap().len(), 1, "the son's claim on her phone was refused");

    store
        .put_tag(ws, &crate::Tag { name: "VIP".into(), rule: None, description: String::new(), created_at: t0() })
        .await
        .unwrap();
    store.tag_person(ws, &crate::PersonTag { person: mum, tag: "VIP".into(), at: t0() }).await.unwrap();
    store.record_stage_changes(ws, &[StageChange { person: mum, from: None, to: Stage::New, at: t0() }]).await.unwrap();
    let scores = crate::StoredScores { person: mum, as_of: t0(), scores: json!({"p_alive": 0.9}) };
    store.put_scores(ws, &[scores]).await.unwrap();
    let s = store.create_segment(ws, &new_segment("buyers", "orders >= 1")).await.unwrap();
    let change = MembershipChange { segment: s.id, person: mum, entered: true, at: t0() };
    store.record_membership(ws, &[change], &[SegmentSize { segment: s.id, size: 1, at: t0() }]).await.unwrap();
    let (j, version) = published(store, "复购").await;
    let new = NewEnrollment {
        journey: j.id,
        version,
        person: mum,
        trigger_key: "m4".into(),
        reentry: Reentry::Always,
        context: json!({"phone": "13812345678"}),
        limits: Default::default(),
        at: t0(),
    };
    store.enroll(ws, &new).await.unwrap().expect("enrolled");
    let mut sms = message("send-1", mum, ChannelKind::Sms, "2026-05-01");
    sms.recipient = "13812345678".into();
    store.queue(ws, &[sms], &CapsConfig::default()).await.unwrap();
    let coupon = CouponDefinition {
        name: "85折".into(),
        title: "复购85折".into(),
        value: CouponValue::Discount { percent: 85 },
        threshold_fen: 0,
        valid_days: 7,
        per_person_limit: 1,
    };
    store.put_coupon(ws, &coupon).await.unwrap();
    store.issue_coupon(ws, "85折", mum, "k1", t0()).await.unwrap();
    store.set_consent(ws, mum, ChannelKind::Sms, false, "reply TD", t0()).await.unwrap();
    store.add_subscription(ws, mum, "tpl-1", "sub-1", t0()).await.unwrap();
    mum
}

pub async fn erasure_leaves_no_trace(store: &dyn Store) {
    let ws = default_ws(store).await;
    let mum = mum_and_son(store, ws).await;
    let person = store.person(ws, &PersonRef::Id(mum)).await.unwrap().unwrap();
    let merged_id = store.merges(ws, Some(mum), 10).await.unwrap()[0].from;
    assert!(person.identities.len() >= 4, "user id, phone, unionid, anonymous id: {:?}", person.identities);
    // Every identifier as stored, the phone also as payloads write it, and her nickname.
    let mut traces = crate::Traces::new(person.identities.iter().map(|i| &i.identifier)).needles().to_vec();
    assert!(traces.contains(&"13812345678".to_string()), "{traces:?}");
    traces.push("王阿姨".into());
    for t in &traces {
        assert!(!store.tables_holding(t).await.unwrap().is_empty(), "{t} is stored before the erasure");
    }
    let before = order_totals(store, ws).await;
    let son = person_of(store, ws, IdentifierKind::UserId, "son-7781").await.unwrap();
    let son_events = all_events(store, ws, Some(son)).await.len();

    let report = store.erase_person(ws, merged_id).await.unwrap();
    assert_eq!(report.person, mum, "an erasure by a merged id erases the survivor");
    assert_eq!(report.merged, [merged_id]);
    assert_eq!(report.orders_kept, 2);
    assert_eq!(report.deleted["people"], 2);

    for t in &traces {
        assert_eq!(store.tables_holding(t).await.unwrap(), Vec::<String>::new(), "{t} is left somewhere");
    }
    assert_eq!(order_totals(store, ws).await, before, "orders and revenue are unchanged");
    for id in [mum, merged_id] {
        assert!(store.person(ws, &PersonRef::Id(id)).await.unwrap().is_none());
        assert!(all_events(store, ws, Some(id)).await.is_empty());
        assert!(store.merges(ws, Some(id), 10).await.unwrap().is_empty());
        assert!(store.person_tags(ws, Some(id)).await.unwrap().is_empty());
        assert!(store.person_scores(ws, id).await.unwrap().is_none());
        assert!(store.stage_changes(ws, Some(id), 10).await.unwrap().is_empty());
        assert!(store.person_enrollments(ws, id).await.unwrap().is_empty());
        assert!(store.messages(ws, Some(id), 10).await.unwrap().is_empty());
        assert!(store.person_coupons(ws, id).await.unwrap().is_empty());
        assert!(store.opted_out(ws, id).await.unwrap().is_empty());
        assert!(store.subscription_credits(ws, id).await.unwrap().is_empty());
    }
    assert!(store.all_segment_members(ws).await.unwrap().is_empty());
    assert!(store.stages(ws).await.unwrap().is_empty());
    assert!(store.conflicts(ws, 10).await.unwrap().is_empty(), "the refused claim on her phone goes too");
    let kept = all_events(store, ws, Some(PersonId::ERASED)).await;
    assert_eq!(kept.len(), 2, "her orders are kept under nobody's id");
    assert_eq!(all_events(store, ws, Some(son)).await.len(), son_events, "the son keeps his events");
    assert_eq!(store.totals(ws).await.unwrap().people, 1, "only the son is left");
    assert!(
        store.first_seen(ws, t0() - Duration::days(365), t0() + Duration::days(365)).await.unwrap().len() == 1,
        "the kept orders are nobody's first event"
    );
    assert!(matches!(store.erase_person(ws, mum).await, Err(StoreError::NotFound(_))), "erased once");

    // The identifiers are unknown now: the phone starts someone new.
    append(
        store,
        ws,
        &[msg(json!({"type": "identify", "anonymousId": "dev-new",
        "traits": {"phone": "13812345678"}, "messageId": "n1"}))],
    )
    .await;
    let again = person_of(store, ws, IdentifierKind::Phone, "13812345678").await.unwrap();
    assert!(again != mum && again != merged_id && again != son);
    // A retried order message of hers is still a duplicate: the kept order counts once.
    let retry = msg(json!({"type": "track", "userId": "mum-7781", "event": "Order Completed", "messageId": "m4",
        "properties": {"order_id": "o-1", "revenue": 128.5}}));
    assert_eq!(append(store, ws, &[retry]).await.duplicates, 1);
    // Her other events are gone with their message ids, on either backend: a late retry of one
    // is a new event of someone new, not a duplicate of nothing.
    let late = msg(json!({"type": "track", "anonymousId": "dev-mum", "event": "Live Entered", "messageId": "m1"}));
    assert_eq!(append(store, ws, &[late]).await.stored, 1);
}

pub async fn export_holds_everything(store: &dyn Store) {
    let ws = default_ws(store).await;
    let mum = mum_and_son(store, ws).await;
    let other = store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap().id;
    assert!(matches!(store.export_person(other, mum).await, Err(StoreError::NotFound(_))), "per workspace");
    assert!(matches!(store.export_person(ws, PersonId::new_v7()).await, Err(StoreError::NotFound(_))));

    let export = store.export_person(ws, mum).await.unwrap();
    assert_eq!(export.person.id, mum);
    assert_eq!(export.person.traits["nickname"], "王阿姨");
    assert_eq!(export.merged.len(), 1);
    let rows = |table: &str| export.records.get(table).map_or(0, Vec::len);
    assert_eq!(rows("people"), 2, "mum and the visitor merged into her");
    assert_eq!(rows("events"), all_events(store, ws, Some(mum)).await.len());
    assert_eq!(rows("identities"), export.person.identities.len());
    for table in [
        "identity_merges",
        "identity_conflicts",
        "person_tags",
        "person_stages",
        "stage_changes",
        "person_scores",
        "segment_members",
        "segment_changes",
        "enrollments",
        "outbox",
        "coupons",
        "consent",
        "subscriptions",
    ] {
        assert!(rows(table) >= 1, "{table} is exported");
    }
    let text = serde_json::to_string(&export).unwrap();
    assert!(text.contains("13812345678") && text.contains(&mum.to_string()));
    assert!(!text.contains("U-son"), "nothing of the son");
    let orders = &export.records["events"];
    assert!(orders.iter().any(|e| e["payload"]["properties"]["order_id"] == "o-1"), "payloads are JSON");
}
