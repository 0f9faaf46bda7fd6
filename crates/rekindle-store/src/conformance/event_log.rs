//! The event log: appends, retries, queries and the incremental read.

use super::*;

pub async fn append_and_read(store: &dyn Store) {
    let ws = default_ws(store).await;
    let r = append(
        store,
        ws,
        &[
            msg(serde_json::json!({"type": "identify", "userId": "u1", "messageId": "m1",
                "traits": {"phone": "13812345678", "nickname": "小李"}, "timestamp": "2026-05-01T10:00:00Z"})),
            msg(serde_json::json!({"type": "track", "userId": "u1", "event": "Order Completed", "messageId": "m2",
                "properties": {"order_id": "o1", "revenue": "59.90"}, "timestamp": "2026-05-01T11:00:00Z"})),
        ],
    )
    .await;
    assert_eq!((r.stored, r.duplicates, r.people_created), (2, 0, 1));
    let person = store.person(ws, &ident(IdentifierKind::Phone, "+86 138-1234-5678")).await.unwrap().unwrap();
    assert_eq!(person.traits["nickname"], "小李");
    let kinds: BTreeSet<_> = person.identities.iter().map(|i| i.identifier.kind).collect();
    assert_eq!(kinds, BTreeSet::from([IdentifierKind::UserId, IdentifierKind::Phone]));
    let events = all_events(store, ws, Some(person.id)).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].message_id, "m2", "newest first");
    assert_eq!(events[0].kind, MessageKind::Track);
    assert_eq!(events[0].payload["properties"]["revenue"], "59.90", "what the sender wrote is kept");
    // The amounts ingestion parsed travel with the payload, so the store reads them back in fen.
    let amounts = rekindle_core::money::Amounts::of(&events[0].payload);
    assert_eq!(amounts.get("revenue", events[0].payload["properties"].get("revenue")).get(), 5990);
    assert_eq!(events[1].timestamp, Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap());
    assert_eq!(events[1].received_at, t0());
}

pub async fn retries_never_double_count(store: &dyn Store) {
    let ws = default_ws(store).await;
    let batch: Vec<Message> = (0..50)
        .map(|i| {
            msg(serde_json::json!({"type": "track", "anonymousId": format!("a{}", i % 7),
            "event": "Live Watched", "messageId": format!("w{i}"), "properties": {"seconds": 30}}))
        })
        .collect();
    let first = append(store, ws, &batch).await;
    assert_eq!(first.stored, 50);
    let again = append(store, ws, &batch).await;
    assert_eq!((again.stored, again.duplicates, again.people_created), (0, 50, 0));
    // Repeats inside one batch count once too.
    let twice = vec![
        batch[0].clone(),
        batch[0].clone(),
        msg(serde_json::json!({"type": "track",
        "anonymousId": "z", "event": "x", "messageId": "new"})),
    ];
    let r = append(store, ws, &twice).await;
    assert_eq!((r.stored, r.duplicates), (1, 2));
    assert_eq!(store.totals(ws).await.unwrap().events, 51);
}

pub async fn events_query_filters_and_pages(store: &dyn Store) {
    let ws = default_ws(store).await;
    let msgs: Vec<Message> = (0..30)
        .map(|i| {
            let event = if i % 3 == 0 { "Order Completed" } else { "Live Watched" };
            msg(serde_json::json!({"type": "track", "userId": "u1", "event": event, "messageId": format!("m{i}"),
                "properties": {"order_id": format!("o{i}")},
                "timestamp": (t0() + chrono::Duration::minutes(i)).to_rfc3339()}))
        })
        .collect();
    append(store, ws, &msgs).await;
    let orders = store
        .events(ws, &EventQuery { name: Some("Order Completed".into()), limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(orders.len(), 10);
    let window = store
        .events(
            ws,
            &EventQuery {
                from: Some(t0() + chrono::Duration::minutes(10)),
                to: Some(t0() + chrono::Duration::minutes(20)),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(window.len(), 10);
    assert!(window.iter().all(|e| e.timestamp >= t0() + chrono::Duration::minutes(10)));
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.events(ws, &EventQuery { before, limit: 7, ..Default::default() }).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.windows(2).all(|w| w[0].timestamp >= w[1].timestamp), "newest first");
        before = page.last().map(|e| e.cursor());
        seen.extend(page.into_iter().map(|e| e.message_id));
    }
    assert_eq!(seen.len(), 30);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 30);
}

pub async fn log_reads_up_to_the_horizon(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.horizon(ws).await.unwrap(), crate::Horizon::default());
    append(
        store,
        ws,
        &[
            msg(serde_json::json!({"type": "track", "anonymousId": "d1", "event": "Live Entered", "messageId": "h1"})),
            msg(serde_json::json!({"type": "track", "userId": "u1", "event": "Order Completed", "messageId": "h2",
                "properties": {"order_id": "o-h2"}})),
        ],
    )
    .await;
    append(store, other, &[msg(serde_json::json!({"type": "track", "userId": "u1", "event": "X", "messageId": "h9"}))])
        .await;
    let first = store.horizon(ws).await.unwrap();
    let events = store.events_between(ws, 0, first.event, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.message_id.as_str()).collect::<Vec<_>>(),
        ["h1", "h2"],
        "in id order, one workspace"
    );
    assert_eq!(store.events_between(ws, 0, first.event, 1).await.unwrap().len(), 1, "limit");
    assert_eq!(first.merge, 0);
    append(
        store,
        ws,
        &[msg(serde_json::json!({"type": "alias", "userId": "u1", "previousId": "d1", "messageId": "h3"}))],
    )
    .await;
    let second = store.horizon(ws).await.unwrap();
    assert!(second.event > first.event && second.merge > first.merge);
    let newer = store.events_between(ws, first.event, second.event, 100).await.unwrap();
    assert_eq!(newer.iter().map(|e| e.message_id.as_str()).collect::<Vec<_>>(), ["h3"]);
    let merges = store.merges_between(ws, first.merge, second.merge).await.unwrap();
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0].message_id, "h3");
    assert!(store.merges_between(ws, second.merge, second.merge).await.unwrap().is_empty());
    assert!(store.merges_between(other, 0, i64::MAX).await.unwrap().is_empty(), "workspaces stay apart");
}

pub(crate) fn new_segment(name: &str, rule: &str) -> crate::NewSegment {
    crate::NewSegment {
        name: name.into(),
        description: "d".into(),
        rule: rule.into(),
        kind: crate::SegmentKind::Custom,
        by: Some("ops@example.com".into()),
        at: t0(),
    }
}
