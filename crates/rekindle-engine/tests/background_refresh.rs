//! The refresh loop's refresh, run on a low-priority thread of its own (issue 24): it folds,
//! judges and publishes what a refresh on the runtime would, with the store's reads made on
//! that thread.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::Still;
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::message::Arrival;
use rekindle_core::{Identifier, IdentifierKind, Message};
use rekindle_store::{PersonRef, Source};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_in_the_background_folds_and_publishes_what_the_log_holds() {
    let start: DateTime<Utc> = "2026-05-01T04:00:00Z".parse().unwrap();
    let still = Still::at(start).await;
    let (store, ws, engine) = (still.store.clone(), still.ws, still.engine.clone());
    let arrival = Arrival { historical: true, ..Arrival::live(start) };
    let messages = (0..3)
        .map(|i| {
            let order = serde_json::json!({"type": "track", "event": "Order Completed", "userId": format!("u{i}"),
                "messageId": format!("o{i}"), "timestamp": start.to_rfc3339(),
                "properties": {"order_id": format!("o{i}"), "revenue": 52.5}});
            Message::parse(&order.to_string(), None, &arrival).unwrap()
        })
        .collect();
    store.append(ws, messages, &Source("test".into()), &IdentityPolicy::default()).await.unwrap();

    let refreshed = engine.clone().refresh_in_background(ws).await.unwrap();
    assert_eq!((refreshed.folded, refreshed.people), (3, 3));
    // Published for the journey runner, as a refresh on the runtime would.
    let latest = engine.latest(ws);
    let audience = latest.as_deref().expect("an audience published");
    let who = PersonRef::Identifier(Identifier { kind: IdentifierKind::UserId, value: "u1".into() });
    let person = store.person(ws, &who).await.unwrap().unwrap().id;
    assert_eq!(audience.member(person).unwrap().profile.orders.len(), 1);
    // A day on, nothing new: the next one folds nothing and still judges everyone.
    still.set(start + Duration::days(1));
    let again = engine.clone().refresh_in_background(ws).await.unwrap();
    assert_eq!((again.folded, again.people), (0, 3));
}
