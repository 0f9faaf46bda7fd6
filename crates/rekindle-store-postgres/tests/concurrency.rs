//! What SQLite never faces: several nodes appending to one database at once. Each test runs two
//! stores (two pools, as two server nodes would) on one schema and checks that racing batches
//! leave the same people a single writer would.

mod common;

use rekindle_core::identity::IdentityPolicy;
use rekindle_core::{Identifier, IdentifierKind, Message, WorkspaceId};
use rekindle_store::conformance::msg;
use rekindle_store::{DEFAULT_WORKSPACE, PersonRef, Source, Store};
use rekindle_store_postgres::PostgresStore;
use serde_json::json;

async fn default_ws(store: &PostgresStore) -> WorkspaceId {
    store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id
}

async fn append(store: &PostgresStore, ws: WorkspaceId, msgs: &[Message]) {
    store.append(ws, msgs.to_vec(), &Source::write_key("race"), &IdentityPolicy::default()).await.unwrap();
}

async fn person_id(store: &PostgresStore, ws: WorkspaceId, kind: IdentifierKind, v: &str) -> rekindle_core::PersonId {
    let who = PersonRef::Identifier(Identifier::parse(kind, v, "test").unwrap());
    store.person(ws, &who).await.unwrap().unwrap_or_else(|| panic!("no person holds {kind}:{v}")).id
}

/// Eight writers over two nodes send the same new userIds and phones at once, one writer as a
/// batch big enough to lock the whole workspace: every identifier still ends up with one person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_nodes_make_one_person_per_new_identifier() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const USERS: usize = 10;
    const ROUNDS: usize = 5;
    const BIG: usize = 200;

    let mut writers = Vec::new();
    for w in 0..8 {
        let store = if w % 2 == 0 { a.clone() } else { b.clone() };
        writers.push(tokio::spawn(async move {
            if w == 0 {
                // 200 new anonymousIds are 400 lookup keys: over the per-key lock budget.
                let big: Vec<Message> = (0..BIG)
                    .map(|i| {
                        msg(json!({"type": "identify", "anonymousId": format!("big-{i}"),
                        "userId": format!("u{}", i % USERS), "messageId": format!("big-{i}")}))
                    })
                    .collect();
                append(&store, ws, &big).await;
            }
            for round in 0..ROUNDS {
                let batch: Vec<Message> = (0..USERS)
                    .map(|i| {
                        msg(json!({"type": "identify", "userId": format!("u{i}"),
                        "traits": {"phone": format!("1380000{i:04}")}, "messageId": format!("w{w}-r{round}-{i}")}))
                    })
                    .collect();
                append(&store, ws, &batch).await;
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }

    let totals = a.totals(ws).await.unwrap();
    assert_eq!(totals.people, USERS as u64);
    assert_eq!(totals.events, (8 * ROUNDS * USERS + BIG) as u64);
    assert_eq!(totals.identities, (2 * USERS + BIG) as u64);
    for i in 0..USERS {
        let user = person_id(&b, ws, IdentifierKind::UserId, &format!("u{i}")).await;
        assert_eq!(user, person_id(&a, ws, IdentifierKind::Phone, &format!("1380000{i:04}")).await);
        assert_eq!(user, person_id(&a, ws, IdentifierKind::AnonymousId, &format!("big-{i}")).await);
    }
}

/// One node merges users into their devices while the other links new identifiers to those
/// users through an identifier the merge does not lock: the linker must notice the person it
/// looked up was merged away and follow the survivor, leaving nothing on the merged person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_racing_merges_follow_the_survivor() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const N: usize = 50;
    // Devices first, so each device's person is the older one and survives its merge.
    let setup: Vec<Message> = (0..N)
        .flat_map(|i| {
            [
                msg(json!({"type": "track", "anonymousId": format!("dev-{i}"), "event": "Live Entered",
                    "messageId": format!("anon-{i}")})),
                msg(
                    json!({"type": "identify", "userId": format!("u{i}"), "traits": {"wechat_openid": format!("o{i}")},
                    "messageId": format!("user-{i}")}),
                ),
            ]
        })
        .collect();
    append(&a, ws, &setup).await;
    assert_eq!(a.totals(ws).await.unwrap().people, 2 * N as u64);

    let merger = {
        let a = a.clone();
        tokio::spawn(async move {
            for i in 0..N {
                let alias = msg(json!({"type": "alias", "userId": format!("u{i}"), "previousId": format!("dev-{i}"),
                    "messageId": format!("alias-{i}")}));
                append(&a, ws, &[alias]).await;
            }
        })
    };
    let linker = {
        let b = b.clone();
        tokio::spawn(async move {
            for i in 0..N {
                let link = msg(json!({"type": "identify", "anonymousId": format!("tab-{i}"),
                    "traits": {"wechat_openid": format!("o{i}"), "phone": format!("1390000{i:04}")},
                    "messageId": format!("link-{i}")}));
                append(&b, ws, &[link]).await;
            }
        })
    };
    merger.await.unwrap();
    linker.await.unwrap();

    assert_eq!(a.totals(ws).await.unwrap().people, N as u64);
    for i in 0..N {
        let user = person_id(&a, ws, IdentifierKind::UserId, &format!("u{i}")).await;
        for (kind, v) in [
            (IdentifierKind::AnonymousId, format!("dev-{i}")),
            (IdentifierKind::WechatOpenid, format!("o{i}")),
            (IdentifierKind::AnonymousId, format!("tab-{i}")),
            (IdentifierKind::Phone, format!("1390000{i:04}")),
        ] {
            assert_eq!(person_id(&b, ws, kind, &v).await, user, "{kind}:{v} is on the survivor");
        }
        let events = a
            .events(ws, &rekindle_store::EventQuery { person: Some(user), limit: 100, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(events.len(), 4, "every event of u{i} and dev-{i} is on the survivor");
    }
}

/// Appends on two nodes commit out of id order while a reader follows the log by horizon: every
/// event is read once, none passed over because a lower id committed after a higher one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn incremental_reads_miss_nothing_while_nodes_append() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const WRITERS: usize = 6;
    const BATCHES: usize = 15;
    const SIZE: usize = 10;

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = if w % 2 == 0 { a.clone() } else { b.clone() };
        writers.push(tokio::spawn(async move {
            for n in 0..BATCHES {
                // New anonymousIds of their own: small batches, run side by side under shared locks.
                let batch: Vec<Message> = (0..SIZE)
                    .map(|i| {
                        msg(json!({"type": "track", "anonymousId": format!("d{w}-{n}-{i}"), "event": "Live Entered",
                        "messageId": format!("e{w}-{n}-{i}")}))
                    })
                    .collect();
                append(&store, ws, &batch).await;
            }
        }));
    }

    let reader = b.clone();
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = 0;
    let read_up_to_horizon = |cursor: i64| {
        let reader = reader.clone();
        async move {
            let horizon = reader.horizon(ws).await.unwrap();
            let mut ids = Vec::new();
            let mut after = cursor;
            loop {
                let page = reader.events_between(ws, after, horizon.event, 7).await.unwrap();
                let Some(last) = page.last() else { break };
                after = last.id;
                ids.extend(page.into_iter().map(|e| e.message_id));
            }
            (horizon.event.max(cursor), ids)
        }
    };
    while !writers.iter().all(|w| w.is_finished()) {
        let (next, ids) = read_up_to_horizon(cursor).await;
        cursor = next;
        seen.extend(ids);
    }
    for w in writers {
        w.await.unwrap();
    }
    let (_, ids) = read_up_to_horizon(cursor).await;
    seen.extend(ids);

    let total = WRITERS * BATCHES * SIZE;
    assert_eq!(seen.len(), total, "every event read exactly once");
    let distinct: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), total);
}
