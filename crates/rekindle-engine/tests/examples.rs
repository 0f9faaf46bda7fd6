//! The DESIGN.md example rules on a simulated store, each checked against a computation
//! written separately from the profile fold and the rule evaluator: straight from each
//! person's stored events.

use rekindle_store::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::message::Arrival;
use rekindle_core::{Message, PersonId};
use rekindle_engine::{Audience, Judging};
use rekindle_rules::parse;
use rekindle_sim::{SimConfig, Simulation};
use rekindle_store::{DEFAULT_WORKSPACE, EventQuery, Source, StoredEvent};
use rekindle_store_sqlite::SqliteStore;
use serde_json::Value;

async fn simulated_store(dir: &std::path::Path) -> (SqliteStore, rekindle_core::WorkspaceId, DateTime<Utc>) {
    let store = SqliteStore::open(dir).await.unwrap();
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let config = SimConfig { people: 400, days: 90, seed: 11, ..SimConfig::default() };
    let sim = Simulation::new(config.clone());
    let arrival = Arrival { historical: true, ..Arrival::live(Utc::now()) };
    let mut batch = Vec::new();
    for i in 0..config.people {
        for e in sim.person(i).0 {
            let Value::Object(o) = e else { continue };
            let id = o.get("messageId").and_then(Value::as_str).unwrap_or_default().to_string();
            batch.push(Message::from_object(o, None, &arrival, id.as_bytes()).unwrap());
        }
    }
    store.append(ws, batch, &Source("sim".into()), &IdentityPolicy::default()).await.unwrap();
    let end = config.start + chrono::Days::new(u64::from(config.days));
    let now = Utc.from_utc_datetime(&end.and_hms_opt(0, 0, 0).unwrap());
    (store, ws, now)
}

/// Every person's events, from the store, up to `now`.
async fn events_by_person(
    store: &SqliteStore,
    ws: rekindle_core::WorkspaceId,
    now: DateTime<Utc>,
) -> BTreeMap<PersonId, Vec<StoredEvent>> {
    let all = store.events(ws, &EventQuery { to: Some(now), limit: u32::MAX, ..Default::default() }).await.unwrap();
    let mut by: BTreeMap<PersonId, Vec<StoredEvent>> = BTreeMap::new();
    for e in all {
        by.entry(e.person).or_default().push(e);
    }
    by
}

fn props(e: &StoredEvent) -> &Value {
    e.payload.get("properties").unwrap_or(&Value::Null)
}

fn named<'a>(events: &'a [StoredEvent], name: &'a str) -> impl Iterator<Item = &'a StoredEvent> + 'a {
    events.iter().filter(move |e| e.name.as_deref() == Some(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn design_examples_select_what_the_events_say() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ws, now) = simulated_store(dir.path()).await;
    let audience = Audience::load(&store, ws, now, &Judging::default()).await.unwrap();
    let people = events_by_person(&store, ws, now).await;
    let select =
        |rule: &str| -> BTreeSet<PersonId> { audience.select(&parse(rule).unwrap()).map(|m| m.person).collect() };
    let expect = |f: &dyn Fn(&[StoredEvent]) -> bool| -> BTreeSet<PersonId> {
        people.iter().filter(|(_, es)| f(es)).map(|(p, _)| *p).collect()
    };
    let day = Duration::days(1);

    // Bought strawberries (by name), but not in the last 30 days.
    let strawberry_times = |es: &[StoredEvent]| -> Vec<DateTime<Utc>> {
        named(es, "Order Completed")
            .filter(|e| {
                props(e)["products"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"].as_str().is_some_and(|n| n.contains("草莓"))))
            })
            .map(|e| e.timestamp)
            .collect()
    };
    let expected = expect(&|es| {
        let t = strawberry_times(es);
        !t.is_empty() && t.iter().all(|t| *t <= now - day * 30)
    });
    assert!(!expected.is_empty(), "the simulation has lapsed strawberry buyers");
    assert_eq!(select(r#"bought "草莓" and not bought "草莓" within 30d"#), expected);

    // Watched a live in the last 30 days and never ordered.
    let expected = expect(&|es| {
        let watched = es.iter().any(|e| {
            matches!(e.name.as_deref(), Some("Live Entered" | "Live Watched")) && e.timestamp > now - day * 30
        });
        watched && named(es, "Order Completed").next().is_none()
    });
    assert!(!expected.is_empty());
    assert_eq!(select("watched within 30d and orders = 0"), expected);

    // Spent at least X in the last 365 days: DESIGN.md's ¥2,000, and a threshold this small
    // store reaches.
    for (rule, fen) in [("spend(365d) >= ¥2000", 200_000), ("spend(365d) >= ¥300", 30_000)] {
        let expected = expect(&|es| {
            let mut by_order: BTreeMap<String, i64> = BTreeMap::new();
            for e in named(es, "Order Completed").filter(|e| e.timestamp > now - day * 365) {
                let id = props(e)["order_id"].as_str().unwrap().to_string();
                // The amount ingestion parsed (the simulator sends yuan).
                let fen = rekindle_core::money::Amounts::of(&e.payload).get("revenue", props(e).get("revenue"));
                by_order.insert(id, fen.get());
            }
            by_order.values().sum::<i64>() >= fen
        });
        assert_eq!(select(rule), expected, "{rule}");
    }

    // Watched at least 15 minutes of the most watched session (the simulator's stalls send
    // some viewers away early, so few in this small store stay 30).
    let mut per_session: BTreeMap<String, i64> = BTreeMap::new();
    for es in people.values() {
        for e in named(es, "Live Watched") {
            *per_session.entry(props(e)["session_id"].as_str().unwrap().to_string()).or_default() +=
                props(e)["seconds"].as_i64().unwrap_or(0);
        }
    }
    let (session, _) = per_session.iter().max_by_key(|(_, s)| **s).unwrap();
    let expected = expect(&|es| {
        named(es, "Live Watched")
            .filter(|e| props(e)["session_id"].as_str() == Some(session))
            .map(|e| props(e)["seconds"].as_i64().unwrap_or(0))
            .sum::<i64>()
            >= 15 * 60
    });
    assert!(!expected.is_empty());
    assert_eq!(select(&format!(r#"watched "{session}" >= 15m"#)), expected);

    // An after-sales ticket open for more than 48 hours.
    let expected = expect(&|es| {
        let resolved: BTreeSet<&str> =
            named(es, "Ticket Resolved").filter_map(|e| props(e)["ticket_id"].as_str()).collect();
        named(es, "Ticket Opened").any(|e| {
            !resolved.contains(props(e)["ticket_id"].as_str().unwrap()) && e.timestamp < now - Duration::hours(48)
        })
    });
    assert_eq!(select("open_ticket_age > 48h"), expected);
}
