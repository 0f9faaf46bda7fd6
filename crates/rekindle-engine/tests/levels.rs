//! Member levels over a real store with the clock held still: an order that reaches L2 is
//! recorded as one `Level Changed` (however often it is judged before the event is read
//! back), the rules read the level, and a keep period that ends without growth moves the
//! member down, once.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Still, append, historical};
use rekindle_core::loyalty::Program;
use rekindle_core::{Identifier, IdentifierKind, Message};
use rekindle_engine::loyalty::LevelReview;
use rekindle_engine::loyalty::PointsFollower;
use rekindle_store::PersonRef;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_reached_is_recorded_once_read_back_and_lost_when_its_period_lapses() {
    let start: DateTime<Utc> = "2026-05-01T04:00:00Z".parse().unwrap();
    let program = Program { keep_days: 30, growth_days: 30, ..Program::default() };
    let (still, live) = Still::with_program(start, &program).await;
    let (store, ws, engine) = (still.store.clone(), still.ws, still.engine.clone());

    // A phone-only buyer: the change must still find them.
    let order = serde_json::json!({"type": "track", "event": "Order Completed", "anonymousId": "a1",
        "messageId": "o1", "timestamp": start.to_rfc3339(), "context": {"traits": {"phone": "13800138000"}},
        "properties": {"order_id": "o1", "revenue": 520.0}});
    append(&*store, ws, vec![historical(&order, start)]).await;
    let who = PersonRef::Identifier(Identifier { kind: IdentifierKind::AnonymousId, value: "a1".into() });
    let person = store.person(ws, &who).await.unwrap().unwrap().id;
    PointsFollower::new(store.clone(), engine.clone(), live).follow(ws).await.unwrap();

    let review = LevelReview::new(store.clone(), engine.clone());
    assert!(review.changes(ws).await.unwrap().is_empty(), "nothing is judged before an audience is built");
    engine.refresh(ws).await.unwrap();
    let up = review.changes(ws).await.unwrap();
    assert_eq!(up.len(), 1);
    let level = |m: &Message| m.payload_value()["properties"]["level"].as_str().unwrap().to_owned();
    assert_eq!(level(&up[0]), "L2");
    assert_eq!(up[0].payload_value()["properties"]["reason"], "reached");
    assert!(review.changes(ws).await.unwrap().is_empty(), "nothing moved: not judged again");
    // Judged again by another process before the event is read back: the same event.
    let twice = LevelReview::new(store.clone(), engine.clone()).changes(ws).await.unwrap();
    assert_eq!(append(&*store, ws, up).await, 1);
    assert_eq!(append(&*store, ws, twice).await, 0, "the log keeps a change once");

    let (audience, _) = engine.refresh(ws).await.unwrap();
    let member = audience.member(person).unwrap();
    assert_eq!(member.profile.level().map(|(_, l)| l), Some("L2"), "on the member's profile");
    let l2 = rekindle_rules::parse("level >= L2").unwrap();
    assert!(audience.matches(member, &l2));
    assert!(review.changes(ws).await.unwrap().is_empty(), "read back: nothing more to record");

    // Thirty days on the keep period ends with no growth in it: down to L1, at that moment.
    still.set(start + Duration::days(45));
    engine.refresh(ws).await.unwrap();
    let down = review.changes(ws).await.unwrap();
    assert_eq!(down.iter().map(level).collect::<Vec<_>>(), ["L1"]);
    assert_eq!(down[0].payload_value()["properties"]["reason"], "lapsed");
    assert_eq!(down[0].timestamp, start + Duration::days(30));
    append(&*store, ws, down).await;
    let (audience, _) = engine.refresh(ws).await.unwrap();
    assert!(!audience.matches(audience.member(person).unwrap(), &l2));
    assert!(review.changes(ws).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_ledgers_that_moved_are_judged_and_everyone_every_ten_minutes() {
    let start: DateTime<Utc> = "2026-05-01T04:00:00Z".parse().unwrap();
    let (still, live) = Still::with_program(start, &Program::default()).await;
    let (store, ws, engine) = (still.store.clone(), still.ws, still.engine.clone());
    let follower = PointsFollower::new(store.clone(), engine.clone(), live);
    let order = |user: &str| {
        let m = serde_json::json!({"type": "track", "event": "Order Completed", "userId": user,
            "messageId": format!("o-{user}"), "timestamp": start.to_rfc3339(),
            "properties": {"order_id": format!("o-{user}"), "revenue": 520.0}});
        historical(&m, start)
    };
    let who = |changes: &[Message]| {
        changes.iter().map(|m| m.payload_value()["userId"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>()
    };

    append(&*store, ws, vec![order("u1")]).await;
    follower.follow(ws).await.unwrap();
    engine.refresh(ws).await.unwrap();
    let review = LevelReview::new(store.clone(), engine.clone());
    assert_eq!(who(&review.changes(ws).await.unwrap()), ["u1"]);

    // u2's order moves only u2's ledger: u2 is judged at once, and alone (u1's change, not
    // yet read back, would come again from a judgement of everyone).
    append(&*store, ws, vec![order("u2")]).await;
    follower.follow(ws).await.unwrap();
    engine.refresh(ws).await.unwrap();
    assert_eq!(who(&review.changes(ws).await.unwrap()), ["u2"]);
    assert!(review.changes(ws).await.unwrap().is_empty(), "nothing moved since");
    // Everyone is judged again every ten minutes: what a ledger read could miss is caught.
    still.set(start + Duration::minutes(10));
    engine.refresh(ws).await.unwrap();
    assert_eq!(who(&review.changes(ws).await.unwrap()), ["u1", "u2"]);
}
