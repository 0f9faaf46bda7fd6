//! What SQLite never faces: several nodes writing to one database at once. Each test runs two
//! stores (two pools, as two server nodes would) on one schema and checks that racing writes
//! leave what a single writer would: the same people, caps and limits kept, each message
//! claimed once.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, Utc};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::journey::Reentry;
use rekindle_core::outreach::{CapsConfig, ChannelKind, CouponDefinition, CouponValue, Skip};
use rekindle_core::{Identifier, IdentifierKind, Message, PersonId, WorkspaceId};
use rekindle_store::StoreError;
use rekindle_store::conformance::{message, msg};
use rekindle_store::prelude::*;
use rekindle_store::{
    CouponIssue, DEFAULT_WORKSPACE, NewEnrollment, NewMessage, OutboxState, PersonRef, Queued, Source,
};
use rekindle_store_postgres::PostgresStore;
use serde_json::json;
use tokio::sync::Barrier;

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

/// Open `n` pooled connections, by reading on all of them at once.
async fn warm_up(store: &PostgresStore, n: usize) {
    let start = Arc::new(Barrier::new(n));
    let readers: Vec<_> = (0..n)
        .map(|_| {
            let (store, start) = (store.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.ping().await.unwrap();
            })
        })
        .collect();
    for r in readers {
        r.await.unwrap();
    }
}

/// Forty queueings on two nodes race for the last slots of one person's SMS cap that day: the
/// caps hold as under one writer, three sent and the rest recorded as capped.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_queues_never_pass_a_cap() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const RACERS: usize = 40;
    let person = PersonId::new_v7();
    let caps = CapsConfig {
        per_channel_per_day: [(ChannelKind::Sms, 3)].into_iter().collect(),
        per_day: 3,
        sms_per_number_per_day: 100,
        ..CapsConfig::default()
    };

    // Connections open and everyone starting together, so the counts overlap as much as they can.
    warm_up(&a, RACERS / 2).await;
    warm_up(&b, RACERS / 2).await;
    let start = Arc::new(Barrier::new(RACERS));
    let mut racers = Vec::new();
    for i in 0..RACERS {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (caps, start) = (caps.clone(), start.clone());
        racers.push(tokio::spawn(async move {
            let sms = message(&format!("race-{i}"), person, ChannelKind::Sms, "2026-05-01");
            start.wait().await;
            store.queue(ws, &[sms], &caps).await.unwrap().remove(0)
        }));
    }
    let mut outcomes = Vec::new();
    for r in racers {
        outcomes.push(r.await.unwrap());
    }

    let queued = outcomes.iter().filter(|q| matches!(q, Queued::Queued(_))).count();
    let capped = outcomes.iter().filter(|q| **q == Queued::Skipped(Skip::ChannelDailyCap)).count();
    assert_eq!((queued, capped), (3, RACERS - 3), "{outcomes:?}");
    let stored = a.messages(ws, Some(person), 100).await.unwrap();
    assert_eq!(stored.len(), RACERS);
    assert_eq!(stored.iter().filter(|m| m.state != OutboxState::Skipped).count(), 3);
}

/// Twenty-four queueings of mixed priorities on two nodes race for one person's one SMS slot
/// of the day, five times over: whatever order they commit in, the highest priority ends up
/// holding it, each lower one that held it meanwhile recorded as outranked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_priorities_leave_the_highest_holding_the_slot() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const RACERS: usize = 24;
    warm_up(&a, RACERS / 2).await;
    warm_up(&b, RACERS / 2).await;
    let mut outranked = 0;
    for round in 0..5usize {
        let person = PersonId::new_v7();
        let priority = move |i: usize| ((i * 7 + round * 3) % 9 + 1) as u8;
        let start = Arc::new(Barrier::new(RACERS));
        let mut racers = Vec::new();
        for i in 0..RACERS {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let start = start.clone();
            racers.push(tokio::spawn(async move {
                let sms = NewMessage {
                    priority: priority(i),
                    not_before: Utc::now() + Duration::days(1),
                    ..message(&format!("r{round}-{i}"), person, ChannelKind::Sms, "2026-05-01")
                };
                start.wait().await;
                store.queue(ws, &[sms], &CapsConfig::default()).await.unwrap().remove(0)
            }));
        }
        for r in racers {
            r.await.unwrap();
        }
        let stored = a.messages(ws, Some(person), 100).await.unwrap();
        let held: Vec<_> = stored.iter().filter(|m| m.state == OutboxState::Queued).collect();
        assert_eq!(held.len(), 1, "round {round}: one holder");
        let i: usize = held[0].send_key.rsplit('-').next().unwrap().parse().unwrap();
        assert_eq!(priority(i), 9, "round {round}: {} holds the slot", held[0].send_key);
        let reasons: HashSet<_> = stored.iter().filter_map(|m| m.error_code.as_deref()).collect();
        assert!(reasons.is_subset(&HashSet::from(["outranked", "channel_daily_cap"])), "{reasons:?}");
        outranked += stored.iter().filter(|m| m.error_code.as_deref() == Some("outranked")).count();
    }
    // The race was real: lower ones held the slot before a higher one took it.
    assert!(outranked > 0, "no slot ever changed hands");
}

/// Twenty dispatchers on two nodes claim from fifty due messages at once: each message is
/// claimed by exactly one of them, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_dispatchers_claim_each_message_once() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const MESSAGES: usize = 50;
    const DISPATCHERS: usize = 20;
    // Webhooks: no caps, so all fifty are queued.
    let batch: Vec<NewMessage> = (0..MESSAGES)
        .map(|i| message(&format!("m{i}"), PersonId::new_v7(), ChannelKind::Webhook, "2026-05-01"))
        .collect();
    let queued = a.queue(ws, &batch, &CapsConfig::default()).await.unwrap();
    assert!(queued.iter().all(|q| matches!(q, Queued::Queued(_))), "{queued:?}");
    let now = batch[0].not_before;
    let lease = Duration::minutes(10);

    warm_up(&a, DISPATCHERS / 2).await;
    warm_up(&b, DISPATCHERS / 2).await;
    let start = Arc::new(Barrier::new(DISPATCHERS));
    let mut dispatchers = Vec::new();
    for d in 0..DISPATCHERS {
        let store = if d % 2 == 0 { a.clone() } else { b.clone() };
        let start = start.clone();
        dispatchers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            start.wait().await;
            loop {
                let claimed = store.claim_messages(now, lease, 3).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|m| (m.id, m.attempts, m.recovered)));
            }
        }));
    }
    let mut claimed = Vec::new();
    for d in dispatchers {
        claimed.extend(d.await.unwrap());
    }

    assert_eq!(claimed.len(), MESSAGES, "every message claimed, none twice");
    let ids: HashSet<i64> = claimed.iter().map(|c| c.0).collect();
    assert_eq!(ids.len(), MESSAGES);
    assert!(claimed.iter().all(|&(_, attempts, recovered)| attempts == 1 && !recovered), "{claimed:?}");
    assert!(a.claim_messages(now, lease, 100).await.unwrap().is_empty(), "nothing left to claim");
    let sending = a.messages_in_state(OutboxState::Sending, 100).await.unwrap();
    assert_eq!(sending.len(), MESSAGES);
}

/// Twenty triggers for one person reach two nodes at once, for a journey entered once ever:
/// one enrollment, however the nodes interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_triggers_enroll_once() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const TRIGGERS: usize = 20;
    let definition = serde_json::from_value(json!({
        "trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "send", "type": "send", "channel": "sms", "template": "t"}],
    }))
    .unwrap();
    let journey = a.create_journey(ws, "race", &definition, Utc::now()).await.unwrap();
    let version = a.publish_journey(ws, journey.id, None, Utc::now()).await.unwrap().version;
    let person = PersonId::new_v7();

    warm_up(&a, TRIGGERS / 2).await;
    warm_up(&b, TRIGGERS / 2).await;
    let start = Arc::new(Barrier::new(TRIGGERS));
    let mut triggers = Vec::new();
    for i in 0..TRIGGERS {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let start = start.clone();
        let new = NewEnrollment {
            journey: journey.id,
            version,
            person,
            trigger_key: format!("order-{i}"),
            reentry: Reentry::Once,
            context: serde_json::Value::Null,
            limits: Default::default(),
            at: Utc::now(),
        };
        triggers.push(tokio::spawn(async move {
            start.wait().await;
            store.enroll(ws, &new).await.unwrap()
        }));
    }
    let mut entered = 0;
    for t in triggers {
        entered += usize::from(t.await.unwrap().is_some());
    }

    assert_eq!(entered, 1);
    assert_eq!(a.person_enrollments(ws, person).await.unwrap().len(), 1);
}

/// Twenty issues of one coupon to one person race on two nodes, each under its own key: the
/// per-person limit holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_issues_keep_the_per_person_limit() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const ISSUES: usize = 20;
    let coupon = CouponDefinition {
        name: "10元".into(),
        title: "满59减10".into(),
        value: CouponValue::Amount { fen: 1000 },
        threshold_fen: 5900,
        valid_days: 7,
        per_person_limit: 2,
    };
    a.put_coupon(ws, &coupon).await.unwrap();
    let person = PersonId::new_v7();
    // Connections opened beforehand: issuing is quick, and racers each opening one would
    // arrive one after another.
    warm_up(&a, ISSUES / 2).await;
    warm_up(&b, ISSUES / 2).await;

    let start = Arc::new(Barrier::new(ISSUES));
    let mut issues = Vec::new();
    for i in 0..ISSUES {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let start = start.clone();
        issues.push(tokio::spawn(async move {
            start.wait().await;
            store.issue_coupon(ws, "10元", person, &format!("issue-{i}"), Utc::now()).await.unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for i in issues {
        outcomes.push(i.await.unwrap());
    }

    let issued = outcomes.iter().filter(|o| matches!(o, CouponIssue::Issued(_))).count();
    let refused = outcomes.iter().filter(|o| **o == CouponIssue::LimitReached).count();
    assert_eq!((issued, refused), (2, ISSUES - 2), "{outcomes:?}");
    assert_eq!(a.person_coupons(ws, person).await.unwrap().len(), 2);
}

/// Twenty redemptions on two nodes race for one balance that pays for two: two are written,
/// the rest refused, and the balance is never below zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_redemptions_never_overspend() {
    use rekindle_core::loyalty::{Entry, Kind, Posted};
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    const TRIES: usize = 20;
    let person = PersonId::new_v7();
    let entry = |kind, points, source: String| Entry {
        kind,
        points,
        source,
        reason: "测试".into(),
        at: Utc::now(),
        expires_at: None,
    };
    a.post_points(ws, person, &[entry(Kind::Earn, 200, "order:o1".into())]).await.unwrap();
    warm_up(&a, TRIES / 2).await;
    warm_up(&b, TRIES / 2).await;

    let start = Arc::new(Barrier::new(TRIES));
    let mut tries = Vec::new();
    for i in 0..TRIES {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (start, e) = (start.clone(), entry(Kind::Redeem, -100, format!("redeem:r{i}")));
        tries.push(tokio::spawn(async move {
            start.wait().await;
            store.post_points(ws, person, &[e]).await.unwrap()[0]
        }));
    }
    let mut posted = Vec::new();
    for t in tries {
        posted.push(t.await.unwrap());
    }
    assert_eq!(posted.iter().filter(|p| **p == Posted::Written).count(), 2, "{posted:?}");
    let balance: i64 = a.points_entries(ws, person).await.unwrap().iter().map(|e| e.points).sum();
    assert_eq!(balance, 0);
}

/// The term `store` leads `ws` in once the lock is free, asking for up to five seconds.
async fn takes_over(store: &PostgresStore, ws: WorkspaceId) -> Option<rekindle_store::Term> {
    for _ in 0..100 {
        if let Some(term) = store.lead(ws).await.unwrap() {
            return Some(term);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

/// One of two nodes leads a workspace and keeps leading; when its session ends (a node cut
/// off, or paused past its keepalives) the other takes over in a new term, and the first
/// node's refresh writes are refused, checked inside their transaction, until it leads again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_leads_and_a_replaced_leader_cannot_write() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    let stage = |person| rekindle_store::StageChange {
        person,
        from: None,
        to: rekindle_core::lifecycle::Stage::Prospect,
        at: Utc::now(),
    };
    let term = a.lead(ws).await.unwrap().expect("the first node to ask leads");
    assert_eq!(a.lead(ws).await.unwrap(), Some(term), "and keeps leading");
    assert_eq!(b.lead(ws).await.unwrap(), None, "the other node does not lead");
    assert_eq!(b.leader(ws).await.unwrap().map(|l| l.term), Some(term), "and knows who does");
    a.record_stage_changes(ws, &[stage(PersonId(rekindle_core::ids::Uuid::now_v7()))])
        .await
        .expect("the leader records");

    // End the leader's session, as PostgreSQL does for a node gone silent.
    let mut admin = schema.admin().await;
    let ended: i64 = sqlx_core::query::query::<sqlx_postgres::Postgres>(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE application_name = 'rekindle leader' AND pid IN (
             SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
               AND objid = (hashtext($1 || '/' || $2::text)::bigint & 4294967295)::oid)",
    )
    .bind(schema.name())
    .bind(ws.0)
    .fetch_one(&mut admin)
    .await
    .map(|r| sqlx_core::row::Row::get(&r, 0))
    .unwrap();
    assert_eq!(ended, 1, "the leader's session was found by its lock");
    assert_eq!(takes_over(&b, ws).await, Some(term + 1), "the other node takes over in the next term");
    assert_eq!(a.leader(ws).await.unwrap().map(|l| l.term), Some(term + 1));

    // The old leader does not know yet: its writes are refused, and nothing is written.
    let refused = a.record_stage_changes(ws, &[stage(PersonId(rekindle_core::ids::Uuid::now_v7()))]).await;
    assert!(matches!(refused, Err(StoreError::Superseded(_))), "{refused:?}");
    let refused = a.record_membership(ws, &[], &[]).await;
    assert!(matches!(refused, Err(StoreError::Superseded(_))), "{refused:?}");
    assert!(matches!(a.put_scores(ws, &[]).await, Err(StoreError::Superseded(_))));
    let fit = rekindle_store::StoredFit { as_of: Utc::now(), fit: json!({"bgnbd": {"r": 1.0}}) };
    assert!(matches!(a.put_fit(ws, &fit).await, Err(StoreError::Superseded(_))));
    assert_eq!(a.latest_fit(ws).await.unwrap(), None, "the old leader's fit is not stored");
    assert_eq!(a.stage_changes(ws, None, 10).await.unwrap().len(), 1, "only the first change is stored");
    b.record_stage_changes(ws, &[stage(PersonId(rekindle_core::ids::Uuid::now_v7()))])
        .await
        .expect("the new leader records");
    // Asking again, the old leader finds its session gone and does not lead.
    let _ = a.lead(ws).await;
    assert_eq!(a.lead(ws).await.unwrap(), None);

    // The new leader's node stops: the first takes the workspace back, in a third term.
    drop(b);
    assert_eq!(takes_over(&a, ws).await, Some(term + 2));
    a.record_stage_changes(ws, &[stage(PersonId(rekindle_core::ids::Uuid::now_v7()))])
        .await
        .expect("leading again, it records");
    assert_eq!(a.stage_changes(ws, None, 10).await.unwrap().len(), 3);
}

/// An append through one node wakes the other node's followers: LISTEN/NOTIFY on commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_on_one_node_wakes_the_other() {
    let (a, schema) = common::fresh().await;
    let b = schema.open_again().await;
    let ws = default_ws(&a).await;
    let (tx, mut woken) = tokio::sync::mpsc::unbounded_channel();
    b.on_appends_elsewhere(Box::new(move || {
        let _ = tx.send(());
    }));
    // The listener is listening once an append before it started would not be missed: wait
    // for a first append to be heard, sending more until one is.
    let mut heard = false;
    for i in 0..50 {
        append(
            &a,
            ws,
            &[msg(json!({"type": "track", "userId": "u1", "event": "Live Watched",
                                         "messageId": format!("m{i}")}))],
        )
        .await;
        if tokio::time::timeout(std::time::Duration::from_millis(200), woken.recv()).await.is_ok() {
            heard = true;
            break;
        }
    }
    assert!(heard, "b never heard of a's appends");
    while woken.try_recv().is_ok() {}
    // b's own appends wake b already (the ingestor's own signal): not again.
    append(&b, ws, &[msg(json!({"type": "track", "userId": "u1", "event": "Live Watched", "messageId": "by-b"}))])
        .await;
    assert!(tokio::time::timeout(std::time::Duration::from_millis(500), woken.recv()).await.is_err());
    // A duplicate stores nothing and wakes nobody; a new event does.
    append(&a, ws, &[msg(json!({"type": "track", "userId": "u1", "event": "Live Watched", "messageId": "m0"}))]).await;
    assert!(tokio::time::timeout(std::time::Duration::from_millis(500), woken.recv()).await.is_err());
    append(&a, ws, &[msg(json!({"type": "track", "userId": "u1", "event": "Live Watched", "messageId": "new"}))]).await;
    assert!(tokio::time::timeout(std::time::Duration::from_secs(5), woken.recv()).await.is_ok());
}
