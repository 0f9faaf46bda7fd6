//! People as OneID resolves them: merges, conflicts, phone forms, search.

use super::*;

pub async fn merge_repoints_history(store: &dyn Store) {
    let ws = default_ws(store).await;
    append(
        store,
        ws,
        &[msg(
            serde_json::json!({"type": "track", "anonymousId": "dev-1", "event": "Live Entered", "messageId": "e1"}),
        )],
    )
    .await;
    append(
        store,
        ws,
        &[msg(serde_json::json!({"type": "track", "userId": "u9", "event": "Order Completed", "messageId": "e2",
            "properties": {"order_id": "o-e2"}}))],
    )
    .await;
    let anon = person_of(store, ws, IdentifierKind::AnonymousId, "dev-1").await.unwrap();
    let user = person_of(store, ws, IdentifierKind::UserId, "u9").await.unwrap();
    assert_ne!(anon, user);
    let r = append(
        store,
        ws,
        &[msg(serde_json::json!({"type": "alias", "userId": "u9", "previousId": "dev-1", "messageId": "e3"}))],
    )
    .await;
    assert_eq!(r.merges, 1);
    let survivor = person_of(store, ws, IdentifierKind::UserId, "u9").await.unwrap();
    assert_eq!(Some(survivor), person_of(store, ws, IdentifierKind::AnonymousId, "dev-1").await);
    assert_eq!(survivor, anon.min(user), "the older person survives");
    let events = all_events(store, ws, Some(survivor)).await;
    assert_eq!(events.len(), 3);
    let merges = store.merges(ws, Some(survivor), 10).await.unwrap();
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0].message_id, "e3");
    assert_eq!(merges[0].from, anon.max(user));
    assert_eq!(merges[0].source, "write_key:test");
    assert_eq!(store.totals(ws).await.unwrap().people, 1);
}

pub async fn person_by_merged_id(store: &dyn Store) {
    let ws = default_ws(store).await;
    append(store, ws, &[
        msg(serde_json::json!({"type": "identify", "anonymousId": "x1", "traits": {"wechat_openid": "o1"}, "messageId": "1"})),
        msg(serde_json::json!({"type": "identify", "userId": "u1", "messageId": "2"})),
    ]).await;
    let old = person_of(store, ws, IdentifierKind::UserId, "u1").await.unwrap();
    append(store, ws, &[msg(serde_json::json!({"type": "identify", "userId": "u1", "traits": {"wechat_openid": "o1"}, "messageId": "3"}))]).await;
    let survivor = person_of(store, ws, IdentifierKind::WechatOpenid, "o1").await.unwrap();
    let via_old = store.person(ws, &PersonRef::Id(old)).await.unwrap().unwrap();
    assert_eq!(via_old.id, survivor);
    assert_eq!(via_old.identities.len(), 3);
}

pub async fn unionid_conflict_is_recorded(store: &dyn Store) {
    let ws = default_ws(store).await;
    append(store, ws, &[
        msg(serde_json::json!({"type": "identify", "userId": "mum", "traits": {"wechat_unionid": "U1", "phone": "13800000001"}, "messageId": "1"})),
        msg(serde_json::json!({"type": "identify", "userId": "son", "traits": {"wechat_unionid": "U2"}, "messageId": "2"})),
    ]).await;
    // The son orders with the family phone.
    let r = append(
        store,
        ws,
        &[msg(serde_json::json!({"type": "identify", "userId": "son",
        "traits": {"phone": "13800000001"}, "messageId": "3"}))],
    )
    .await;
    assert_eq!((r.merges, r.conflicts), (0, 1));
    assert_ne!(
        person_of(store, ws, IdentifierKind::UserId, "mum").await,
        person_of(store, ws, IdentifierKind::UserId, "son").await
    );
    let conflicts = store.conflicts(ws, 10).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].kind, ConflictKind::MergeRefused);
    assert_eq!(conflicts[0].message_id, "3");
    assert!(conflicts[0].other.is_some());
}

pub async fn traits_merge(store: &dyn Store) {
    let ws = default_ws(store).await;
    append(store, ws, &[
        msg(serde_json::json!({"type": "identify", "userId": "u1", "traits": {"nickname": "阿花", "city": "杭州"}, "messageId": "1"})),
        msg(serde_json::json!({"type": "identify", "userId": "u1", "traits": {"city": "上海"}, "messageId": "2"})),
    ]).await;
    let p = store.person(ws, &ident(IdentifierKind::UserId, "u1")).await.unwrap().unwrap();
    assert_eq!(p.traits["nickname"], "阿花");
    assert_eq!(p.traits["city"], "上海");
}

pub async fn phone_forms_are_one_person(store: &dyn Store) {
    let ws = default_ws(store).await;
    let forms = ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "８６１３８１２３４５６７８"];
    let msgs: Vec<Message> = forms
        .iter()
        .enumerate()
        .map(|(i, f)| {
            msg(serde_json::json!({"type": "identify", "anonymousId": format!("dev{i}"),
            "traits": {"phone": f}, "messageId": format!("p{i}")}))
        })
        .collect();
    append(store, ws, &msgs[..2]).await;
    append(store, ws, &msgs[2..]).await;
    assert_eq!(store.totals(ws).await.unwrap().people, 1);
}

/// Batches written through the store give the partition the pure planner gives in one pass:
/// the backend applies plans faithfully across transactions.
pub async fn partition_matches_the_planner(store: &dyn Store) {
    let ws = default_ws(store).await;
    let mut msgs = Vec::new();
    let mut n = 0;
    for person in 0..40 {
        let anon = format!("anon-{person}");
        let open = format!("open-{}", person / 2); // pairs share an openid: merges
        let phone = format!("13{:09}", person % 13);
        let union = format!("union-{person}");
        for (i, json) in [
            serde_json::json!({"type": "track", "anonymousId": anon, "event": "Live Entered"}),
            serde_json::json!({"type": "identify", "anonymousId": anon, "traits": {"wechat_openid": open}}),
            serde_json::json!({"type": "identify", "userId": format!("u{person}"), "traits": {"wechat_openid": open, "phone": phone, "wechat_unionid": union}}),
        ]
        .into_iter()
        .enumerate()
        {
            let mut json = json;
            json["messageId"] = serde_json::json!(format!("m{person}-{i}"));
            msgs.push(msg(json));
            n += 1;
        }
    }
    // A fixed interleaving: every 7th message first, and so on.
    let mut order: Vec<Message> = Vec::new();
    for start in 0..7 {
        order.extend(msgs.iter().skip(start).step_by(7).cloned());
    }
    assert_eq!(order.len(), n);
    for chunk in order.chunks(17) {
        append(store, ws, chunk).await;
    }

    let policy = IdentityPolicy::default();
    let mut graph = IdentityGraph::new();
    let mut k = 0u128;
    let mut mint = || {
        k += 1;
        PersonId(uuid_from(k))
    };
    for m in &order {
        graph.resolve(&m.identifiers, &policy, &mut mint);
    }
    let mut want: BTreeMap<PersonId, BTreeSet<Identifier>> = BTreeMap::new();
    for (p, ids) in graph.people() {
        if !ids.is_empty() {
            want.insert(p, ids.iter().cloned().collect());
        }
    }
    let want: BTreeSet<BTreeSet<Identifier>> = want.into_values().collect();
    let mut got: BTreeSet<BTreeSet<Identifier>> = BTreeSet::new();
    for group in &want {
        let any = group.iter().next().unwrap();
        let person = store.person(ws, &PersonRef::Identifier(any.clone())).await.unwrap().unwrap();
        got.insert(person.identities.into_iter().map(|i| i.identifier).collect());
    }
    assert_eq!(got, want);
    assert_eq!(store.totals(ws).await.unwrap().people, want.len() as u64);
    assert_eq!(store.totals(ws).await.unwrap().events, n as u64);
}

pub(super) fn uuid_from(n: u128) -> rekindle_core::ids::Uuid {
    rekindle_core::ids::Uuid::from_u128(n)
}

pub async fn search_and_first_seen(store: &dyn Store) {
    let ws = default_ws(store).await;
    append(
        store,
        ws,
        &[
            msg(serde_json::json!({"type": "identify", "userId": "u1", "messageId": "s1", "timestamp": "2026-05-01T10:00:00Z",
                "traits": {"nickname": "小李_fresh", "phone": "13812345678"}})),
            msg(serde_json::json!({"type": "identify", "userId": "u2", "messageId": "s2", "timestamp": "2026-05-03T10:00:00Z",
                "traits": {"nickname": "大王"}})),
            msg(serde_json::json!({"type": "track", "userId": "u1", "event": "Live Entered", "messageId": "s3",
                "timestamp": "2026-05-04T10:00:00Z"})),
        ],
    )
    .await;
    let phone = Identifier::parse(IdentifierKind::Phone, "+86 138 1234 5678", "q").unwrap();
    let by_phone = store.search_people(ws, &[phone], None, 10).await.unwrap();
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].traits["nickname"], "小李_fresh");
    // Issue 16: linked when the message happened (received at t0, an imported history), not
    // when it was imported.
    let linked: Vec<_> = by_phone[0].identities.iter().map(|i| i.linked_at).collect();
    assert!(linked.iter().all(|t| *t == "2026-05-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap()), "{linked:?}");
    let by_name = store.search_people(ws, &[], Some("王"), 10).await.unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].traits["nickname"], "大王");
    assert!(store.search_people(ws, &[], Some("%"), 10).await.unwrap().is_empty(), "wildcards are literal");
    let user = Identifier::parse(IdentifierKind::UserId, "u2", "q").unwrap();
    assert_eq!(store.search_people(ws, &[user], Some("小李"), 10).await.unwrap().len(), 2);

    let day = |d: u32| Utc.with_ymd_and_hms(2026, 5, d, 0, 0, 0).unwrap();
    let mut seen = store.first_seen(ws, day(1), day(10)).await.unwrap();
    seen.sort();
    assert_eq!(seen, [day(1) + chrono::Duration::hours(10), day(3) + chrono::Duration::hours(10)]);
    assert_eq!(store.first_seen(ws, day(2), day(10)).await.unwrap().len(), 1, "u1 was first seen before");
}
