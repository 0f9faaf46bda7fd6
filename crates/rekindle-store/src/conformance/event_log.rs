//! The event log: appends, retries, queries and the incremental read.

use std::sync::Arc;

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

/// `n` anonymous `Live Watched` events among `people` viewers, ids starting with `prefix`.
fn watched(prefix: &str, n: usize, people: usize) -> Vec<Message> {
    (0..n)
        .map(|i| {
            msg(serde_json::json!({"type": "track", "anonymousId": format!("{prefix}{}", i % people),
            "event": "Live Watched", "messageId": format!("{prefix}w{i}"), "properties": {"seconds": 30}}))
        })
        .collect()
}

pub async fn retries_never_double_count(store: &dyn Store) {
    let ws = default_ws(store).await;
    let batch = watched("a", 50, 7);
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

/// An append the applier derived from the inbox (crate::durability) is stored like any other,
/// and `sync` then makes it durable; a sync with nothing new is a no-op.
pub async fn derived_appends_are_synced(store: &dyn Store) {
    let ws = default_ws(store).await;
    let batch = watched("d", 20, 3);
    let r = crate::durability::derived(append(store, ws, &batch)).await;
    assert_eq!(r.stored, 20);
    store.sync().await.unwrap();
    store.sync().await.unwrap();
    assert_eq!(store.totals(ws).await.unwrap().events, 20);
    // A plain append after it is stored as before.
    let again = append(store, ws, &batch[..5]).await;
    assert_eq!((again.stored, again.duplicates), (0, 5));
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

/// The shared tail of the log (`crate::tail`) gives every follower what reading the store
/// gives it: followers at different cursors, with different page sizes and horizons, while
/// batches keep arriving, some behind what the tail keeps, some ahead of it, across workspaces.
pub async fn the_tail_serves_what_the_log_holds(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("tail-other", "Other", "Asia/Shanghai").await.unwrap().id;
    let tail = crate::tail::Tail::new(25);
    // (cursor, page size) of each follower, moving at its own pace.
    let mut followers = [(0i64, 7u32), (0, 3), (0, 40), (0, 1)];
    let ids = |events: &[Arc<crate::StoredEvent>]| -> Vec<(i64, String)> {
        events.iter().map(|e| (e.id, e.message_id.clone())).collect()
    };
    for round in 0..12u32 {
        let batch: Vec<Message> = (0..(round * 5) % 17 + 1)
            .map(|i| {
                msg(serde_json::json!({"type": "track", "anonymousId": format!("t{}", i % 4), "event": "Tail",
                    "messageId": format!("tail-{round}-{i}"), "properties": {"n": i}}))
            })
            .collect();
        append(store, ws, &batch).await;
        append(store, other, &batch).await;
        let horizon = store.horizon(ws).await.unwrap().event;
        for (n, (cursor, page)) in followers.iter_mut().enumerate() {
            // Follower 3 reads only every third round and falls behind what the tail keeps.
            if n == 3 && round % 3 != 0 {
                continue;
            }
            let reads = if n == 1 { 2 } else { 1 };
            for _ in 0..reads {
                let served = tail.between(store, ws, *cursor, horizon, *page).await.unwrap();
                let stored = store.events_between(ws, *cursor, horizon, *page).await.unwrap();
                let expected: Vec<(i64, String)> = stored.iter().map(|e| (e.id, e.message_id.clone())).collect();
                assert_eq!(ids(&served), expected, "follower {n} after {cursor} in round {round}");
                assert!(served.iter().zip(&stored).all(|(a, b)| a.payload == b.payload && a.person == b.person));
                if let Some(last) = served.last() {
                    *cursor = last.id;
                }
            }
        }
    }
    // A fresh tail first read from the middle of the log starts there; a reader from the start
    // is then behind it and reads the store, up to where the tail takes over.
    let horizon = store.horizon(ws).await.unwrap().event;
    let everything =
        ids(&store.events_between(ws, 0, horizon, 1000).await.unwrap().into_iter().map(Arc::new).collect::<Vec<_>>());
    let fresh = crate::tail::Tail::new(25);
    let middle = everything[everything.len() / 2].0;
    let later = fresh.between(store, ws, middle, horizon, 5).await.unwrap();
    assert_eq!(ids(&later), everything.iter().filter(|(id, _)| *id > middle).take(5).cloned().collect::<Vec<_>>());
    let mut cursor = 0;
    let mut read = Vec::new();
    while cursor < horizon {
        let page = fresh.between(store, ws, cursor, horizon, 9).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.id;
        read.extend(ids(&page));
    }
    assert_eq!(read, everything);
    assert!(fresh.between(store, ws, horizon, horizon, 10).await.unwrap().is_empty());
    // The other workspace's tail is its own.
    let theirs = store.horizon(other).await.unwrap().event;
    let served = tail.between(store, other, 0, theirs, 1000).await.unwrap();
    let stored = store.events_between(other, 0, theirs, 1000).await.unwrap();
    assert_eq!(ids(&served), ids(&stored.into_iter().map(Arc::new).collect::<Vec<_>>()));
    // After `forget` (an erasure rewrote events) the tail reads the store again.
    tail.forget(ws);
    assert_eq!(ids(&tail.between(store, ws, 0, horizon, 1000).await.unwrap()), everything);
}

/// What an append hands back for the tail ([`crate::EventLog::append_returning`]) is the
/// events exactly as they read back, and a tail fed it serves it without reading the store;
/// a feed that does not continue the tail (another append came between, a follower read past
/// it, an erasure started the tail again) is dropped, and the store is read instead.
pub async fn a_fed_tail_serves_what_the_log_holds(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("fed-other", "Other", "Asia/Shanghai").await.unwrap().id;
    let (source, policy) = (Source::write_key("test"), IdentityPolicy::default());
    let batch = |round: u32, n: u32| -> Vec<Message> {
        (0..n)
            .map(|i| {
                msg(serde_json::json!({"type": "track", "anonymousId": format!("f{}", i % 3), "event": "Fed",
                    "messageId": format!("fed-{round}-{i}"), "timestamp": "2026-05-01T10:00:00.123456Z",
                    "properties": {"n": i, "名": "草莓"}}))
            })
            .collect()
    };
    let returning = |ws: WorkspaceId, messages: Vec<Message>| {
        let (source, policy) = (source.clone(), policy.clone());
        async move { store.append_returning(ws, messages, &source, &policy).await.unwrap() }
    };
    let tail = crate::tail::Tail::new(25);
    let mut cursor = 0i64;
    for round in 0..8u32 {
        let feed = tail.feed(ws);
        let (report, appended) = returning(ws, batch(round, round % 4 + 1)).await;
        assert_eq!(report.stored, u64::from(round % 4 + 1));
        if let Some(a) = &appended {
            let last = a.events.last().expect("a feed holds what was stored").id;
            assert_eq!(a.events, store.events_between(ws, a.after, last, 1000).await.unwrap(), "round {round}");
            assert_eq!(a.events.len() as u64, report.stored);
        }
        if let Some(a) = appended {
            feed.push(a);
        }
        // Every other round the other workspace appends too: the next feed does not continue.
        if round % 2 == 1 {
            returning(other, batch(round, 2)).await;
        }
        let horizon = store.horizon(ws).await.unwrap().event;
        let served = tail.between(store, ws, cursor, horizon, 1000).await.unwrap();
        let stored = store.events_between(ws, cursor, horizon, 1000).await.unwrap();
        assert_eq!(served.iter().map(|e| (**e).clone()).collect::<Vec<_>>(), stored, "round {round}");
        cursor = horizon;
    }
    // A repeated batch stores nothing and feeds nothing.
    let (report, appended) = returning(ws, batch(0, 1)).await;
    assert_eq!((report.stored, report.duplicates), (0, 1));
    assert!(appended.is_none());

    // The last round's other workspace came after this one's last event: a follower reads the
    // next event of this one from the store, and the tail ends at the log's end again.
    returning(ws, batch(99, 1)).await;
    let horizon = store.horizon(ws).await.unwrap().event;
    assert_eq!(tail.between(store, ws, cursor, horizon, 1000).await.unwrap().len(), 1);
    cursor = horizon;
    // Served from the feed: a marked copy of what was appended comes back, not the store's.
    let marked = |mut a: crate::Appended| {
        for e in &mut a.events {
            e.payload = serde_json::json!({"fed": true});
        }
        a
    };
    let feed = tail.feed(ws);
    let (_, appended) = returning(ws, batch(100, 3)).await;
    let Some(appended) = appended else {
        // Only a backend with one writer can say what an append added to the log.
        assert_ne!(store.backend(), "sqlite", "SQLite hands back what it appended");
        return;
    };
    feed.push(marked(appended));
    let horizon = store.horizon(ws).await.unwrap().event;
    let served = tail.between(store, ws, cursor, horizon, 1000).await.unwrap();
    assert_eq!(served.len(), 3);
    assert!(served.iter().all(|e| e.payload == serde_json::json!({"fed": true})));
    cursor = horizon;
    // Another workspace's append came between: the feed does not continue the tail.
    let feed = tail.feed(ws);
    returning(other, batch(101, 1)).await;
    let (_, appended) = returning(ws, batch(101, 2)).await;
    feed.push(marked(appended.expect("appended")));
    let horizon = store.horizon(ws).await.unwrap().event;
    let served = tail.between(store, ws, cursor, horizon, 1000).await.unwrap();
    assert_eq!(
        served.iter().map(|e| (**e).clone()).collect::<Vec<_>>(),
        store.events_between(ws, cursor, horizon, 1000).await.unwrap()
    );
    cursor = horizon;
    // A follower from the start is behind what the fed tail still keeps: it reads the store.
    let everything = tail.between(store, ws, 0, cursor, 1000).await.unwrap();
    assert_eq!(
        everything.iter().map(|e| (**e).clone()).collect::<Vec<_>>(),
        store.events_between(ws, 0, cursor, 1000).await.unwrap()
    );
    assert!(everything.len() > 25, "more than the tail keeps");
    // An erasure started the tail again while the append was under way: its feed goes nowhere.
    let feed = tail.feed(ws);
    let (_, appended) = returning(ws, batch(102, 2)).await;
    tail.forget(ws);
    let horizon = store.horizon(ws).await.unwrap().event;
    assert_eq!(
        tail.between(store, ws, 0, cursor, 1000).await.unwrap().len(),
        store.events_between(ws, 0, cursor, 1000).await.unwrap().len()
    );
    feed.push(marked(appended.expect("appended")));
    let served = tail.between(store, ws, cursor, horizon, 1000).await.unwrap();
    assert_eq!(
        served.iter().map(|e| (**e).clone()).collect::<Vec<_>>(),
        store.events_between(ws, cursor, horizon, 1000).await.unwrap()
    );
}
