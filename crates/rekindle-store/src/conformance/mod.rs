//! The behaviour every backend must show. A backend's tests call [`crate::conformance_suite!`]
//! with an expression that makes a fresh, empty, migrated store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use rekindle_core::identity::{ConflictKind, IdentityGraph, IdentityPolicy};
use rekindle_core::message::Arrival;
use rekindle_core::{Identifier, IdentifierKind, Message, MessageKind, PersonId, WorkspaceId};

mod erasure;
mod journeys;
pub use erasure::*;
pub use journeys::*;

use crate::{DEFAULT_WORKSPACE, EventQuery, PersonRef, Source, Store, StoreError};

/// Generates one `#[tokio::test]` per conformance check. `$make` is an async expression
/// yielding `(store, guard)`: a fresh, empty, migrated store and whatever must live as long as
/// it (a temporary directory, a schema dropped on drop).
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@tests $make;
            default_workspace_and_isolation, write_keys, append_and_read, retries_never_double_count,
            merge_repoints_history, unionid_conflict_is_recorded, traits_merge, phone_forms_are_one_person,
            events_query_filters_and_pages, partition_matches_the_planner, person_by_merged_id,
            catalogue_and_schedule, users_and_roles, sessions_expire_and_end, api_tokens_belong_to_users,
            audit_log_is_per_workspace, invitations_are_accepted_by_the_invitee,
            invitation_tokens_create_only_new_accounts, search_and_first_seen, workspace_settings, log_reads_up_to_the_horizon,
            segments_are_versioned, membership_is_recorded, stages_are_recorded, tags_on_people,
            scores_are_replaced_whole, journeys_are_versioned, enrollment_follows_the_reentry_policy,
            advances_are_optimistic, caps_are_counted_per_store_day, outbox_claims_and_records,
            templates_and_coupons, consent_latest_wins, journey_cursor_only_moves_on,
            changes_are_a_feed_with_cursors, enrollments_follow_a_merge, caps_count_across_a_merge,
            erasure_leaves_no_trace, export_holds_everything);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = $make.await;
                $crate::conformance::$name(&store).await;
            }
        )*
    };
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

/// Parse a message as `/v1/import` would, so its timestamp is kept.
pub fn msg(json: serde_json::Value) -> Message {
    let arrival = Arrival { historical: true, ..Arrival::live(t0()) };
    Message::parse(&json.to_string(), None, &arrival).expect("test message parses")
}

async fn default_ws(store: &dyn Store) -> WorkspaceId {
    store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().expect("default workspace exists").id
}

pub(crate) async fn append(store: &dyn Store, ws: WorkspaceId, msgs: &[Message]) -> crate::AppendReport {
    store.append(ws, msgs.to_vec(), &Source::write_key("test"), &IdentityPolicy::default()).await.unwrap()
}

fn ident(kind: IdentifierKind, v: &str) -> PersonRef {
    PersonRef::Identifier(Identifier::parse(kind, v, "test").unwrap())
}

pub(crate) async fn person_of(store: &dyn Store, ws: WorkspaceId, kind: IdentifierKind, v: &str) -> Option<PersonId> {
    store.person(ws, &ident(kind, v)).await.unwrap().map(|p| p.id)
}

async fn all_events(store: &dyn Store, ws: WorkspaceId, person: Option<PersonId>) -> Vec<crate::StoredEvent> {
    store.events(ws, &EventQuery { person, limit: 10_000, ..Default::default() }).await.unwrap()
}

pub async fn default_workspace_and_isolation(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    assert_ne!(ws, other.id);
    assert!(matches!(
        store.create_workspace("north", "again", "Asia/Shanghai").await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.workspaces().await.unwrap().len(), 2);

    let m =
        |id: &str| msg(serde_json::json!({"type": "track", "userId": "u1", "event": "Live Entered", "messageId": id}));
    append(store, ws, &[m("a")]).await;
    // The same userId and messageId in another store is another person and another event.
    let r = append(store, other.id, &[m("a")]).await;
    assert_eq!(r.stored, 1);
    let p1 = person_of(store, ws, IdentifierKind::UserId, "u1").await.unwrap();
    let p2 = person_of(store, other.id, IdentifierKind::UserId, "u1").await.unwrap();
    assert_ne!(p1, p2);
    assert!(store.person(other.id, &PersonRef::Id(p1)).await.unwrap().is_none());
    assert!(all_events(store, other.id, Some(p1)).await.is_empty());
    assert_eq!(store.totals(ws).await.unwrap().events, 1);
}

pub async fn write_keys(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("south", "南店", "Asia/Shanghai").await.unwrap();
    let k = store.create_write_key(ws, "mini-program", "hash-1", "rk_abc").await.unwrap();
    assert_eq!(k.workspace, ws);
    assert_eq!(store.write_key_by_hash("hash-1").await.unwrap().map(|k| k.id), Some(k.id));
    assert!(store.write_key_by_hash("hash-2").await.unwrap().is_none());
    assert_eq!(store.write_keys(ws).await.unwrap().len(), 1);
    assert!(store.write_keys(other.id).await.unwrap().is_empty());
    // Another workspace cannot revoke it.
    assert!(matches!(store.revoke_write_key(other.id, k.id).await, Err(StoreError::NotFound(_))));
    store.revoke_write_key(ws, k.id).await.unwrap();
    assert!(store.write_key_by_hash("hash-1").await.unwrap().is_none());
    assert!(store.write_keys(ws).await.unwrap()[0].revoked_at.is_some());
}

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

fn uuid_from(n: u128) -> rekindle_core::ids::Uuid {
    rekindle_core::ids::Uuid::from_u128(n)
}

pub async fn catalogue_and_schedule(store: &dyn Store) {
    use rekindle_core::objects::{LiveSession, Product};
    let ws = default_ws(store).await;
    let other = store.create_workspace("east", "东店", "Asia/Shanghai").await.unwrap();
    let oat = |price| Product {
        sku: "oat-1kg".into(),
        name: "澳洲燕麦片 1kg".into(),
        category: "谷物".into(),
        price,
        pack_size: 1,
        tags: vec!["organic".into()],
        months: vec![],
    };
    let berry = Product {
        sku: "strawberry".into(),
        name: "红颜草莓".into(),
        category: "时令".into(),
        price: 5990,
        pack_size: 1,
        tags: vec!["new".into()],
        months: vec![1, 2, 3, 4],
    };
    store.put_products(ws, vec![oat(3990), berry.clone()]).await.unwrap();
    store.put_products(ws, vec![oat(3590)]).await.unwrap();
    let products = store.products(ws).await.unwrap();
    assert_eq!(products, vec![oat(3590), berry], "replaced by SKU, listed by SKU");
    assert!(store.products(other.id).await.unwrap().is_empty());

    let session = |id: &str, day: u32| LiveSession {
        id: id.into(),
        title: format!("早餐好物专场 {day}"),
        topics: vec!["乳品".into(), "谷物".into()],
        host: "小鹿".into(),
        scheduled_start: Utc.with_ymd_and_hms(2026, 5, day, 12, 0, 0).unwrap(),
        started_at: None,
        ended_at: None,
    };
    store.put_live_sessions(ws, vec![session("b", 3), session("a", 2)]).await.unwrap();
    let mut ended = session("b", 3);
    ended.started_at = Some(Utc.with_ymd_and_hms(2026, 5, 3, 12, 1, 0).unwrap());
    ended.ended_at = Some(Utc.with_ymd_and_hms(2026, 5, 3, 14, 0, 0).unwrap());
    store.put_live_sessions(ws, vec![ended.clone()]).await.unwrap();
    assert_eq!(store.live_sessions(ws).await.unwrap(), vec![session("a", 2), ended], "by start");
    assert!(store.live_sessions(other.id).await.unwrap().is_empty());
}

pub async fn users_and_roles(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.count_users().await.unwrap(), 0);
    let ann = store.create_user("ann@example.com", "Ann", "$argon2id$hash-a").await.unwrap();
    let bob = store.create_user("bob@example.com", "Bob", "$argon2id$hash-b").await.unwrap();
    assert!(matches!(store.create_user("ann@example.com", "Again", "h").await, Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.count_users().await.unwrap(), 2);
    assert_eq!(store.user_by_email("ann@example.com").await.unwrap().unwrap().password_hash, "$argon2id$hash-a");
    assert_eq!(store.user(bob.id).await.unwrap().unwrap().email, "bob@example.com");
    assert!(store.user(9999).await.unwrap().is_none());

    store.set_role(ann.id, ws, Role::Owner).await.unwrap();
    store.set_role(ann.id, other, Role::Analyst).await.unwrap();
    store.set_role(bob.id, ws, Role::Host).await.unwrap();
    store.set_role(bob.id, ws, Role::Service).await.unwrap(); // replaces
    let roles: Vec<(String, Role)> =
        store.memberships(ann.id).await.unwrap().into_iter().map(|m| (m.workspace.slug, m.role)).collect();
    assert_eq!(roles, [("default".to_string(), Role::Owner), ("north".to_string(), Role::Analyst)]);
    let members: Vec<(String, Role)> =
        store.members(ws).await.unwrap().into_iter().map(|m| (m.user.email, m.role)).collect();
    assert_eq!(members, [("ann@example.com".to_string(), Role::Owner), ("bob@example.com".to_string(), Role::Service)]);
    assert_eq!(store.members(other).await.unwrap().len(), 1, "workspaces keep their own members");

    store.remove_member(bob.id, ws).await.unwrap();
    assert!(store.memberships(bob.id).await.unwrap().is_empty());
    assert!(matches!(store.remove_member(bob.id, ws).await, Err(StoreError::NotFound(_))));
}

pub async fn sessions_expire_and_end(store: &dyn Store) {
    let user = store.create_user("s@example.com", "S", "h").await.unwrap();
    let session = crate::Session {
        user_id: user.id,
        csrf_token: "csrf-1".into(),
        created_at: t0(),
        expires_at: t0() + chrono::Duration::hours(12),
    };
    store.create_session("hash-1", &session).await.unwrap();
    assert_eq!(store.session("hash-1", t0()).await.unwrap(), Some(session.clone()));
    assert!(store.session("hash-1", t0() + chrono::Duration::hours(12)).await.unwrap().is_none(), "expired");
    assert!(store.session("hash-2", t0()).await.unwrap().is_none());
    store.delete_session("hash-1").await.unwrap();
    assert!(store.session("hash-1", t0()).await.unwrap().is_none(), "logged out");
}

pub async fn api_tokens_belong_to_users(store: &dyn Store) {
    let ann = store.create_user("ann@example.com", "Ann", "h").await.unwrap();
    let bob = store.create_user("bob@example.com", "Bob", "h").await.unwrap();
    let token = store.create_api_token(ann.id, "ci", "token-hash", "rkt_abcd").await.unwrap();
    assert_eq!((token.user_id, token.name.as_str(), token.prefix.as_str()), (ann.id, "ci", "rkt_abcd"));
    assert_eq!(store.api_token_by_hash("token-hash").await.unwrap().unwrap().id, token.id);
    assert!(matches!(store.revoke_api_token(bob.id, token.id).await, Err(StoreError::NotFound(_))), "not Bob's");
    store.revoke_api_token(ann.id, token.id).await.unwrap();
    assert!(store.api_token_by_hash("token-hash").await.unwrap().is_none());
    assert!(store.api_tokens(ann.id).await.unwrap()[0].revoked_at.is_some());
}

pub async fn audit_log_is_per_workspace(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    let ann = store.create_user("ann@example.com", "Ann", "h").await.unwrap();
    let eve = store.create_user("eve@example.com", "Eve", "h").await.unwrap();
    store.set_role(ann.id, ws, Role::Owner).await.unwrap();
    store.set_role(eve.id, other, Role::Owner).await.unwrap();
    // Eve works for both: what she did in North, and her sign-in recorded there, are North's.
    store.set_role(eve.id, ws, Role::Analyst).await.unwrap();
    let record = |workspace, user_id, action: &str| crate::AuditRecord {
        workspace,
        user_id,
        action: action.into(),
        target: Some("t".into()),
        ip: Some("10.0.0.1".into()),
    };
    store.record_audit(&record(Some(ws), Some(ann.id), "auth.login")).await.unwrap();
    store.record_audit(&record(Some(ws), Some(ann.id), "write_key.create")).await.unwrap();
    store.record_audit(&record(Some(other), Some(eve.id), "auth.login")).await.unwrap();
    store.record_audit(&record(Some(other), Some(eve.id), "user.create")).await.unwrap();
    store.record_audit(&record(None, Some(eve.id), "api_token.create")).await.unwrap();
    let log = store.audit_log(ws, 10).await.unwrap();
    let seen: Vec<(&str, Option<&str>)> =
        log.iter().map(|e| (e.record.action.as_str(), e.user_email.as_deref())).collect();
    assert_eq!(seen, [("write_key.create", Some("ann@example.com")), ("auth.login", Some("ann@example.com"))]);
    assert_eq!(log[0].record.ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(store.audit_log(ws, 1).await.unwrap().len(), 1);
    let north: Vec<String> = store.audit_log(other, 10).await.unwrap().into_iter().map(|e| e.record.action).collect();
    assert_eq!(north, ["user.create", "auth.login"], "deployment-wide entries are in no workspace's log");
}

pub async fn invitations_are_accepted_by_the_invitee(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    let bob = store.create_user("bob@example.com", "Bob", "h").await.unwrap();
    let eve = store.create_user("eve@example.com", "Eve", "h").await.unwrap();
    store.set_role(bob.id, other, Role::Owner).await.unwrap();

    let first = store.invite(ws, "bob@example.com", Role::Host, "tok-1").await.unwrap();
    let inv = store.invite(ws, "bob@example.com", Role::Analyst, "tok-2").await.unwrap();
    assert_eq!((inv.id, inv.role, inv.workspace.slug.as_str()), (first.id, Role::Analyst, "default"), "renewed");
    assert!(matches!(
        store.invite(WorkspaceId(9999), "x@example.com", Role::Host, "tok-x").await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.workspace_invitations(ws).await.unwrap(), std::slice::from_ref(&inv));
    assert!(store.workspace_invitations(other).await.unwrap().is_empty());
    assert_eq!(store.invitations_for(bob.id).await.unwrap(), std::slice::from_ref(&inv));
    assert!(store.invitations_for(eve.id).await.unwrap().is_empty());
    assert_eq!(store.memberships(bob.id).await.unwrap().len(), 1, "an invitation is not a membership");

    assert!(matches!(store.accept_invitation(inv.id, eve.id).await, Err(StoreError::NotFound(_))), "not Eve's");
    assert!(matches!(store.decline_invitation(inv.id, eve.id).await, Err(StoreError::NotFound(_))), "not Eve's");
    let m = store.accept_invitation(inv.id, bob.id).await.unwrap();
    assert_eq!((m.workspace.id, m.role), (ws, Role::Analyst));
    assert!(store.memberships(bob.id).await.unwrap().iter().any(|m| m.workspace.id == ws && m.role == Role::Analyst));
    assert!(store.invitations_for(bob.id).await.unwrap().is_empty(), "accepted once");
    assert!(matches!(store.accept_invitation(inv.id, bob.id).await, Err(StoreError::NotFound(_))));

    // An invitation never changes a role held: Bob, North's only owner, stays its owner.
    let inv = store.invite(other, "bob@example.com", Role::Analyst, "tok-5").await.unwrap();
    assert_eq!(store.accept_invitation(inv.id, bob.id).await.unwrap().role, Role::Owner);
    assert!(store.invitations_for(bob.id).await.unwrap().is_empty());

    let inv = store.invite(other, "eve@example.com", Role::Host, "tok-3").await.unwrap();
    store.decline_invitation(inv.id, eve.id).await.unwrap();
    assert!(store.memberships(eve.id).await.unwrap().is_empty());
    let inv = store.invite(other, "eve@example.com", Role::Host, "tok-4").await.unwrap();
    assert!(matches!(store.revoke_invitation(ws, inv.id).await, Err(StoreError::NotFound(_))), "not this workspace's");
    store.revoke_invitation(other, inv.id).await.unwrap();
    assert!(store.invitations_for(eve.id).await.unwrap().is_empty());
}

pub async fn invitation_tokens_create_only_new_accounts(store: &dyn Store) {
    use rekindle_core::access::Role;
    let ws = default_ws(store).await;
    let bob = store.create_user("bob@example.com", "Bob", "bob-hash").await.unwrap();
    let long_ago = Utc::now() - chrono::Duration::days(7);

    // A new email: the account is made with the invitee's name and password, and the role.
    store.invite(ws, "new@example.com", Role::Operator, "tok-new").await.unwrap();
    assert_eq!(
        store.redeem_invitation("tok-new", Utc::now() + chrono::Duration::hours(1), "N", "h").await.unwrap(),
        None,
        "too old"
    );
    let Some(crate::Redeemed::Created(user)) =
        store.redeem_invitation("tok-new", long_ago, "New", "new-hash").await.unwrap()
    else {
        panic!("a new email gets its account");
    };
    assert_eq!(
        (user.email.as_str(), user.name.as_str(), user.password_hash.as_str()),
        ("new@example.com", "New", "new-hash")
    );
    let roles: Vec<_> =
        store.memberships(user.id).await.unwrap().into_iter().map(|m| (m.workspace.id, m.role)).collect();
    assert_eq!(roles, [(ws, Role::Operator)]);
    assert!(store.workspace_invitations(ws).await.unwrap().is_empty());
    assert_eq!(store.redeem_invitation("tok-new", long_ago, "Again", "x").await.unwrap(), None, "one time");

    // An existing account is left alone: the token is spent, the invitation waits for Bob.
    store.invite(ws, "bob@example.com", Role::Owner, "tok-bob").await.unwrap();
    assert_eq!(
        store.redeem_invitation("tok-bob", long_ago, "Mallory", "mallory-hash").await.unwrap(),
        Some(crate::Redeemed::AccountExists)
    );
    assert_eq!(store.user(bob.id).await.unwrap().unwrap().password_hash, "bob-hash");
    assert!(store.memberships(bob.id).await.unwrap().is_empty());
    assert_eq!(store.invitations_for(bob.id).await.unwrap().len(), 1);
    assert_eq!(store.redeem_invitation("tok-bob", long_ago, "Mallory", "m").await.unwrap(), None, "spent");
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

pub async fn workspace_settings(store: &dyn Store) {
    let ws = default_ws(store).await;
    let changed = store.update_workspace(ws, None, Some("Asia/Hong_Kong")).await.unwrap();
    assert_eq!(changed.time_zone, "Asia/Hong_Kong");
    let renamed = store.update_workspace(ws, Some("鲜生"), None).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.time_zone.as_str()), ("鲜生", "Asia/Hong_Kong"));
    assert!(matches!(store.update_workspace(WorkspaceId(9999), Some("x"), None).await, Err(StoreError::NotFound(_))));
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

pub async fn segments_are_versioned(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    let s = store.create_segment(ws, &new_segment("loyal", "orders >= 3")).await.unwrap();
    assert_eq!((s.version, s.rule.as_str(), s.kind), (1, "orders >= 3", crate::SegmentKind::Custom));
    assert!(matches!(
        store.create_segment(ws, &new_segment("loyal", "orders >= 1")).await,
        Err(StoreError::AlreadyExists(_))
    ));
    store.create_segment(other, &new_segment("loyal", "orders >= 1")).await.expect("names are per workspace");
    let later = t0() + chrono::Duration::hours(1);
    let edit = crate::SegmentEdit { rule: Some("orders >= 4".into()), by: None, at: later, ..Default::default() };
    let s2 = store.update_segment(ws, s.id, &edit).await.unwrap();
    assert_eq!((s2.version, s2.rule.as_str(), s2.name.as_str()), (2, "orders >= 4", "loyal"));
    assert_eq!(s2.updated_at, later);
    let renamed = crate::SegmentEdit {
        name: Some("regulars".into()),
        rule: Some("orders >= 4".into()),
        at: later,
        ..Default::default()
    };
    assert_eq!(store.update_segment(ws, s.id, &renamed).await.unwrap().version, 2, "the same rule adds no version");
    let versions = store.segment_versions(ws, s.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| (v.version, v.rule.as_str())).collect::<Vec<_>>(),
        [(2, "orders >= 4"), (1, "orders >= 3")]
    );
    assert_eq!(versions[1].created_by.as_deref(), Some("ops@example.com"));
    assert_eq!(store.segments(ws).await.unwrap().len(), 1);
    assert!(store.segment(other, s.id).await.unwrap().is_none(), "another workspace cannot see it");
    assert!(matches!(store.update_segment(other, s.id, &edit).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.delete_segment(other, s.id).await, Err(StoreError::NotFound(_))));
    store.delete_segment(ws, s.id).await.unwrap();
    assert!(store.segment(ws, s.id).await.unwrap().is_none());
    assert!(matches!(store.delete_segment(ws, s.id).await, Err(StoreError::NotFound(_))));
}

pub async fn membership_is_recorded(store: &dyn Store) {
    let ws = default_ws(store).await;
    let s = store.create_segment(ws, &new_segment("s", "orders >= 1")).await.unwrap();
    let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
    let change = |person, entered, hours| crate::MembershipChange {
        segment: s.id,
        person,
        entered,
        at: t0() + chrono::Duration::hours(hours),
    };
    let size = |size, hours| crate::SegmentSize { segment: s.id, size, at: t0() + chrono::Duration::hours(hours) };
    store.record_membership(ws, &[change(a, true, 0), change(b, true, 0)], &[size(2, 0)]).await.unwrap();
    store.record_membership(ws, &[change(a, false, 1)], &[size(1, 1)]).await.unwrap();
    let members = store.segment_members(ws, s.id, None, 10).await.unwrap();
    assert_eq!(members.iter().map(|m| m.person).collect::<Vec<_>>(), [b]);
    assert_eq!(members[0].since, t0());
    assert!(store.segment_members(ws, s.id, Some(b), 10).await.unwrap().is_empty(), "paged after b");
    assert_eq!(store.all_segment_members(ws).await.unwrap(), [(s.id, b)]);
    let changes = store.segment_changes(ws, s.id, 10).await.unwrap();
    assert_eq!(changes.iter().map(|c| (c.person, c.entered)).collect::<Vec<_>>(), [(a, false), (b, true), (a, true)]);
    let sizes = store.segment_sizes(ws, s.id, t0()).await.unwrap();
    assert_eq!(sizes.iter().map(|z| z.size).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(store.segment_sizes(ws, s.id, t0() + chrono::Duration::minutes(1)).await.unwrap().len(), 1);
    store.delete_segment(ws, s.id).await.unwrap();
    assert!(store.all_segment_members(ws).await.unwrap().is_empty(), "membership goes with the segment");
}

pub async fn stages_are_recorded(store: &dyn Store) {
    use rekindle_core::lifecycle::Stage;
    let ws = default_ws(store).await;
    let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
    let at = |h| t0() + chrono::Duration::hours(h);
    store
        .record_stage_changes(
            ws,
            &[
                crate::StageChange { person: a, from: None, to: Stage::New, at: at(0) },
                crate::StageChange { person: b, from: None, to: Stage::Prospect, at: at(0) },
            ],
        )
        .await
        .unwrap();
    store
        .record_stage_changes(
            ws,
            &[crate::StageChange { person: a, from: Some(Stage::New), to: Stage::Silent, at: at(5) }],
        )
        .await
        .unwrap();
    let mut stages = store.stages(ws).await.unwrap();
    stages.sort();
    let mut expected = vec![(a, Stage::Silent), (b, Stage::Prospect)];
    expected.sort();
    assert_eq!(stages, expected);
    let of_a = store.stage_changes(ws, Some(a), 10).await.unwrap();
    assert_eq!(
        of_a.iter().map(|c| (c.from, c.to, c.at)).collect::<Vec<_>>(),
        [(Some(Stage::New), Stage::Silent, at(5)), (None, Stage::New, at(0))]
    );
    assert_eq!(store.stage_changes(ws, None, 10).await.unwrap().len(), 3);
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert!(store.stages(other).await.unwrap().is_empty());
}

pub async fn tags_on_people(store: &dyn Store) {
    let ws = default_ws(store).await;
    let tag = |name: &str, rule: Option<&str>| crate::Tag {
        name: name.into(),
        rule: rule.map(String::from),
        description: String::new(),
        created_at: t0(),
    };
    store.put_tag(ws, &tag("VIP", None)).await.unwrap();
    store.put_tag(ws, &tag("回购", Some("orders >= 2"))).await.unwrap();
    store.put_tag(ws, &crate::Tag { description: "big buyers".into(), ..tag("VIP", None) }).await.unwrap();
    let tags = store.tags(ws).await.unwrap();
    assert_eq!(tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["VIP", "回购"]);
    assert_eq!(tags[0].description, "big buyers", "put replaces");
    let p = PersonId::new_v7();
    let on = |t: &str| crate::PersonTag { person: p, tag: t.into(), at: t0() };
    store.tag_person(ws, &on("VIP")).await.unwrap();
    store.tag_person(ws, &on("VIP")).await.expect("tagging twice is no change");
    assert!(matches!(store.tag_person(ws, &on("nope")).await, Err(StoreError::NotFound(_))), "undefined tag");
    assert_eq!(store.person_tags(ws, Some(p)).await.unwrap(), [on("VIP")]);
    assert_eq!(store.person_tags(ws, None).await.unwrap().len(), 1);
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert!(
        matches!(store.tag_person(other, &on("VIP")).await, Err(StoreError::NotFound(_))),
        "tags are per workspace"
    );
    store.untag_person(ws, p, "VIP").await.unwrap();
    assert!(matches!(store.untag_person(ws, p, "VIP").await, Err(StoreError::NotFound(_))));
    store.tag_person(ws, &on("VIP")).await.unwrap();
    store.delete_tag(ws, "VIP").await.unwrap();
    assert!(store.person_tags(ws, None).await.unwrap().is_empty(), "deleting a tag takes it off people");
    assert!(matches!(store.delete_tag(ws, "VIP").await, Err(StoreError::NotFound(_))));
}

pub async fn scores_are_replaced_whole(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
    let scored = |person, p_alive: f64, hours| crate::StoredScores {
        person,
        as_of: t0() + chrono::Duration::hours(hours),
        scores: serde_json::json!({"p_alive": p_alive, "churn_risk": "low"}),
    };
    store.put_scores(ws, &[scored(a, 0.9, 0), scored(b, 0.4, 0)]).await.unwrap();
    assert_eq!(store.person_scores(ws, b).await.unwrap(), Some(scored(b, 0.4, 0)));
    store.put_scores(ws, &[scored(a, 0.8, 1)]).await.unwrap();
    assert_eq!(store.person_scores(ws, a).await.unwrap(), Some(scored(a, 0.8, 1)));
    assert_eq!(store.person_scores(ws, b).await.unwrap(), None, "a new scoring replaces the old one whole");
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.person_scores(other, a).await.unwrap(), None);
    store.put_scores(other, &[]).await.unwrap();
    assert!(store.person_scores(ws, a).await.unwrap().is_some(), "workspaces stay apart");

    // A large scoring (a store may write it in parts) replaces the old one whole too.
    let many: Vec<PersonId> = (0..2500).map(|_| PersonId::new_v7()).collect();
    let all: Vec<_> = many.iter().map(|p| scored(*p, 0.5, 2)).collect();
    store.put_scores(ws, &all).await.unwrap();
    let some: Vec<_> = many[..1200].iter().map(|p| scored(*p, 0.6, 3)).collect();
    store.put_scores(ws, &some).await.unwrap();
    for p in [many[0], many[1199]] {
        assert_eq!(store.person_scores(ws, p).await.unwrap(), Some(scored(p, 0.6, 3)));
    }
    for p in [a, many[1200], many[2499]] {
        assert_eq!(store.person_scores(ws, p).await.unwrap(), None, "scores of an earlier moment are gone");
    }
}
