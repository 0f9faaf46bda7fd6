//! The points follower over a real store with the clock held still: an order earns, the
//! points expire when their time comes, once, and a second follower starts where the first left off.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Still, append, historical};
use rekindle_core::loyalty::{Expiry, Kind, Program};
use rekindle_core::{Identifier, IdentifierKind};
use rekindle_engine::loyalty::PointsFollower;
use rekindle_store::PersonRef;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_expire_once_when_their_time_comes_and_nothing_is_awarded_twice() {
    let start: DateTime<Utc> = "2026-05-01T04:00:00Z".parse().unwrap();
    let program = Program { expiry: Expiry::Days { days: 7 }, ..Program::default() };
    let (still, live) = Still::with_program(start, &program).await;
    let (store, ws, engine) = (still.store.clone(), still.ws, still.engine.clone());

    let order = serde_json::json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "o1",
        "timestamp": start.to_rfc3339(), "properties": {"order_id": "o1", "revenue": 88.0}});
    append(&*store, ws, vec![historical(&order, start)]).await;
    let who = PersonRef::Identifier(Identifier { kind: IdentifierKind::UserId, value: "u1".into() });
    let person = store.person(ws, &who).await.unwrap().unwrap().id;

    let follower = PointsFollower::new(store.clone(), engine.clone(), live.clone());
    let first = follower.follow(ws).await.unwrap();
    assert_eq!((first.events, first.awarded), (1, 1));
    let entries = store.points_entries(ws, person).await.unwrap();
    assert_eq!((entries[0].points, entries[0].expires_at), (88, Some(start + Duration::days(7))));

    // Six days on, nothing expires; eight days on, the 88 points do, once.
    still.set(start + Duration::days(6));
    assert_eq!(follower.expire(ws).await.unwrap(), 0);
    still.set(start + Duration::days(8));
    assert_eq!(follower.expire(ws).await.unwrap(), 1);
    assert_eq!(follower.expire(ws).await.unwrap(), 0, "a zero balance has nothing to expire");
    let entries = store.points_entries(ws, person).await.unwrap();
    assert_eq!(entries.iter().map(|e| (e.kind, e.points)).collect::<Vec<_>>(), [(Kind::Earn, 88), (Kind::Expire, -88)]);

    // Another follower (a restart, another node) starts from the cursor written down.
    let again = PointsFollower::new(store.clone(), engine, live);
    assert_eq!(again.follow(ws).await.unwrap().awarded, 0);
    assert_eq!(store.points_entries(ws, person).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awards_posted_a_page_at_a_time_in_one_write_keep_the_daily_cap_and_claw_back_refunds_read_in_the_same_page() {
    let start: DateTime<Utc> = "2026-05-01T04:00:00Z".parse().unwrap();
    let (still, live) = Still::with_program(start, &Program::default()).await;
    let (store, ws, engine) = (still.store.clone(), still.ws, still.engine.clone());
    // One append, read as one page: five shares by u1 (three a day earn), with u2's order and
    // its refund in between, each awarded after the events before it of the same person.
    let at = |m: i64| (start + Duration::minutes(m)).to_rfc3339();
    let mut events = Vec::new();
    for n in 0..5 {
        events.push(
            serde_json::json!({"type": "track", "event": "Live Shared", "userId": "u1", "messageId": format!("s{n}"),
            "timestamp": at(n * 2), "properties": {"session_id": "live-1"}}),
        );
        if n == 1 {
            events.push(
                serde_json::json!({"type": "track", "event": "Order Completed", "userId": "u2", "messageId": "o9",
                "timestamp": at(3), "properties": {"order_id": "o9", "revenue": 50.0}}),
            );
        }
        if n == 3 {
            events.push(
                serde_json::json!({"type": "track", "event": "Order Refunded", "userId": "u2", "messageId": "r9",
                "timestamp": at(7), "properties": {"order_id": "o9"}}),
            );
        }
    }
    append(&*store, ws, events.iter().map(|m| historical(m, start)).collect()).await;

    let follower = PointsFollower::new(store.clone(), engine, live);
    let followed = follower.follow(ws).await.unwrap();
    assert_eq!(followed.events, 7);
    // Judged on the ledgers kept in memory: one write for the page, not one each time a person
    // with an award waiting comes again (which made a write per few events of a live room).
    assert_eq!(followed.writes, 1);
    let of = |user: &str| PersonRef::Identifier(Identifier { kind: IdentifierKind::UserId, value: user.into() });
    let u1 = store.person(ws, &of("u1")).await.unwrap().unwrap().id;
    let u2 = store.person(ws, &of("u2")).await.unwrap().unwrap().id;
    let shares = store.points_entries(ws, u1).await.unwrap();
    assert_eq!(shares.iter().map(|e| e.source.as_str()).collect::<Vec<_>>(), ["share:s0", "share:s1", "share:s2"]);
    let orders = store.points_entries(ws, u2).await.unwrap();
    assert_eq!(
        orders.iter().map(|e| (e.kind, e.points)).collect::<Vec<_>>(),
        [(Kind::Earn, 50), (Kind::ClawBack, -50)]
    );
}
