//! Profiles kept up to date as events arrive, and segment membership recorded as it changes,
//! on a simulated store fed in shuffled chunks (late events, merges in any order).

use rekindle_store::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::message::Arrival;
use rekindle_core::{Identifier, IdentifierKind, Message, PersonId, SegmentId, WorkspaceId};
use rekindle_engine::{Audience, Engine, Judging};
use rekindle_rules::parse;
use rekindle_sim::{SimConfig, Simulation, Truth};
use rekindle_store::{DEFAULT_WORKSPACE, NewSegment, PersonRef, SegmentKind, Source};
use rekindle_store_sqlite::SqliteStore;
use serde_json::Value;

struct World {
    store: Arc<SqliteStore>,
    ws: WorkspaceId,
    messages: Vec<Message>,
    truths: Vec<Truth>,
    end: DateTime<Utc>,
}

/// A simulated store's messages, shuffled by a fixed seed, and the store they go into.
async fn world(dir: &std::path::Path, people: u64) -> World {
    let store = Arc::new(SqliteStore::open(dir).await.unwrap());
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let config = SimConfig { people, days: 90, seed: 5, ..SimConfig::default() };
    let sim = Simulation::new(config.clone());
    store.put_products(ws, sim.products()).await.unwrap();
    let arrival = Arrival { historical: true, ..Arrival::live(Utc::now()) };
    let mut messages = Vec::new();
    let mut truths = Vec::new();
    for i in 0..people {
        let (events, truth) = sim.person(i);
        truths.push(truth);
        for e in events {
            let Value::Object(o) = e else { continue };
            let id = o.get("messageId").and_then(Value::as_str).unwrap_or_default().to_string();
            messages.push(Message::from_object(o, None, &arrival, id.as_bytes()).unwrap());
        }
    }
    // A fixed permutation (an LCG), so the test is the same every run.
    let mut state = 0x2545_f491_u64;
    for i in (1..messages.len()).rev() {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        messages.swap(i, (state >> 33) as usize % (i + 1));
    }
    let end = config.start + chrono::Days::new(u64::from(config.days));
    World { store, ws, messages, truths, end: Utc.from_utc_datetime(&end.and_hms_opt(0, 0, 0).unwrap()) }
}

fn engine(w: &World) -> Engine {
    let end = w.end;
    Engine::new(w.store.clone(), Judging::default(), Arc::new(move || end), std::time::Duration::ZERO)
}

async fn append(w: &World, chunk: &[Message]) {
    w.store.append(w.ws, chunk.to_vec(), &Source("sim".into()), &IdentityPolicy::default()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_profiles_equal_a_fold_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(dir.path(), 300).await;
    let engine = engine(&w);
    let mut merges = 0;
    for chunk in w.messages.chunks(w.messages.len() / 7 + 1) {
        merges += w
            .store
            .append(w.ws, chunk.to_vec(), &Source("sim".into()), &IdentityPolicy::default())
            .await
            .unwrap()
            .merges;
        engine.refresh(w.ws).await.unwrap();
    }
    assert!(merges > 10, "the shuffled stream makes OneID merge people ({merges})");
    let live = engine.audience(w.ws).await.unwrap();
    let scratch =
        Audience::load(&*w.store, w.ws, w.end + chrono::Duration::days(3650), &Judging::default()).await.unwrap();
    let live_profiles: BTreeMap<PersonId, _> = live.members.iter().map(|m| (m.person, m.profile.clone())).collect();
    let scratch_profiles: BTreeMap<PersonId, _> =
        scratch.members.iter().map(|m| (m.person, m.profile.clone())).collect();
    assert_eq!(live_profiles.len(), scratch_profiles.len());
    assert!(live_profiles == scratch_profiles, "every person's incremental profile equals the one folded from scratch");
    assert_eq!(live.members.len() as u64, w.store.totals(w.ws).await.unwrap().people);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_and_stage_changes_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    // Enough people that the first refresh's stage changes are written in several parts.
    let w = world(dir.path(), 1500).await;
    let engine = engine(&w);
    let segment = w
        .store
        .create_segment(
            w.ws,
            &NewSegment {
                name: "repeat".into(),
                description: String::new(),
                rule: "orders >= 2".into(),
                kind: SegmentKind::Custom,
                by: None,
                at: w.end,
            },
        )
        .await
        .unwrap();
    let (half, rest) = w.messages.split_at(w.messages.len() / 2);
    append(&w, half).await;
    let (first, r1) = engine.refresh(w.ws).await.unwrap();
    let rule = parse("orders >= 2").unwrap();
    let selected = |a: &Audience| -> Vec<PersonId> { a.select(&rule).map(|m| m.person).collect() };
    assert_eq!(members(&w, segment.id).await, selected(&first));
    assert_eq!((r1.recorded.entered, r1.recorded.left), (selected(&first).len(), 0));
    assert_eq!(r1.recorded.stage_changes, first.members.len(), "everyone is staged the first time");

    append(&w, rest).await;
    let (second, r2) = engine.refresh(w.ws).await.unwrap();
    assert_eq!(members(&w, segment.id).await, selected(&second), "membership follows the events");
    assert!(r2.recorded.entered > 0);
    let changes = w.store.segment_changes(w.ws, segment.id, 100_000).await.unwrap();
    assert_eq!(changes.len(), r1.recorded.entered + r2.recorded.entered + r2.recorded.left);
    let entered = changes.iter().filter(|c| c.entered).count() - changes.iter().filter(|c| !c.entered).count();
    assert_eq!(entered, selected(&second).len(), "entries minus exits is the size");

    let (_, r3) = engine.refresh(w.ws).await.unwrap();
    assert_eq!(
        (r3.folded, r3.recorded.entered, r3.recorded.left, r3.recorded.stage_changes),
        (0, 0, 0, 0),
        "nothing new, nothing recorded"
    );

    // Stages as recorded are the stages now; a restarted engine finds nothing to record.
    let stored: HashMap<PersonId, _> = w.store.stages(w.ws).await.unwrap().into_iter().collect();
    assert!(second.members.iter().all(|m| stored.get(&m.person) == Some(&m.stage)));
    let (_, again) = engine_after_restart(&w).await;
    assert_eq!((again.recorded.entered, again.recorded.left, again.recorded.stage_changes), (0, 0, 0));
}

async fn members(w: &World, segment: SegmentId) -> Vec<PersonId> {
    let mut all = w.store.segment_members(w.ws, segment, None, 100_000).await.unwrap();
    all.sort_by_key(|m| m.person);
    all.into_iter().map(|m| m.person).collect()
}

async fn engine_after_restart(w: &World) -> (Arc<Audience>, rekindle_engine::Refreshed) {
    engine(w).refresh(w.ws).await.unwrap()
}

/// The shipped persona segments pick out the simulator's personas far above their base rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persona_segments_find_their_people() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(dir.path(), 1500).await;
    append(&w, &w.messages).await;
    let engine = engine(&w);
    let (audience, _) = engine.refresh(w.ws).await.unwrap();
    let segments = w.store.segments(w.ws).await.unwrap();
    assert_eq!(
        segments.iter().filter(|s| s.kind == SegmentKind::Persona).count(),
        4,
        "a new workspace gets the personas"
    );
    let mut truth_of: HashMap<PersonId, String> = HashMap::new();
    for t in &w.truths {
        let kind = if t.id.starts_with("member-") || t.orders > 0 {
            IdentifierKind::UserId
        } else {
            IdentifierKind::AnonymousId
        };
        let found =
            w.store.person(w.ws, &PersonRef::Identifier(Identifier { kind, value: t.id.clone() })).await.unwrap();
        if let Some(p) = found {
            truth_of.insert(p.id, serde_json::to_value(t.persona).unwrap().as_str().unwrap().to_string());
        }
    }
    let buyers: Vec<PersonId> =
        audience.members.iter().filter(|m| m.profile.order_count() > 0).map(|m| m.person).collect();
    for s in segments.iter().filter(|s| s.kind == SegmentKind::Persona) {
        let rule = parse(&s.rule).unwrap();
        let picked: Vec<PersonId> = audience.select(&rule).map(|m| m.person).collect();
        let share = |people: &[PersonId]| {
            people.iter().filter(|p| truth_of.get(p) == Some(&s.name)).count() as f64 / people.len().max(1) as f64
        };
        let (precision, base) = (share(&picked), share(&buyers));
        println!("{}: {} picked, precision {precision:.2}, base rate among buyers {base:.2}", s.name, picked.len());
        assert!(picked.len() >= 20, "{} picks people", s.name);
        assert!(precision > base * 1.3, "{}: precision {precision:.2} vs base {base:.2}", s.name);
    }
}

/// Issue 16: the engine judged "now" by the newest event, so one event sent today into a store
/// whose history stopped months ago moved everyone's clock and made them all 流失. Now the clock
/// alone is "now": a new event changes its own person, nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_from_today_changes_nobody_else() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(dir.path(), 300).await;
    append(&w, &w.messages).await;
    // Today is months after the history ends, as when the demo's history ended in July.
    let today = w.end + chrono::Duration::days(150);
    let engine = Engine::new(w.store.clone(), Judging::default(), Arc::new(move || today), std::time::Duration::ZERO);
    let (before, _) = engine.refresh(w.ws).await.unwrap();
    assert_eq!(before.now, today, "judged as of the clock, not as of the newest event");

    let event = serde_json::json!({"type": "track", "userId": "someone-new", "event": "Product Viewed",
        "timestamp": today.to_rfc3339(), "messageId": "today-1"});
    append(&w, &[Message::parse(&event.to_string(), None, &Arrival::live(today)).unwrap()]).await;
    let (after, _) = engine.refresh(w.ws).await.unwrap();
    let stages = |a: &Audience| -> HashMap<PersonId, _> { a.members.iter().map(|m| (m.person, m.stage)).collect() };
    let (b, a) = (stages(&before), stages(&after));
    assert_eq!(a.len(), b.len() + 1, "one more person");
    assert!(b.iter().all(|(p, s)| a.get(p) == Some(s)), "everyone else keeps their stage");
}

/// A refresh whose caller goes away (a browser navigating away drops the request) used to take
/// the profiles with it: the next audience was judged from none, and the store looked empty
/// until restart. Abandoned at any point, the next audience still has everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_refresh_loses_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(dir.path(), 300).await;
    append(&w, &w.messages).await;
    let engine = engine(&w);
    let (full, _) = engine.refresh(w.ws).await.unwrap();
    let everyone = full.members.len();
    assert!(everyone > 100);
    let mut abandoned = 0;
    for micros in (0..40).map(|i| 50 * i * i) {
        // New events, so the refresh has work to do, then a caller that gives up early.
        let event = serde_json::json!({"type": "track", "userId": format!("late-{micros}"), "event": "Product Viewed",
            "timestamp": w.end.to_rfc3339(), "messageId": format!("late-{micros}")});
        append(&w, &[Message::parse(&event.to_string(), None, &Arrival::live(w.end)).unwrap()]).await;
        let cut = std::time::Duration::from_micros(micros);
        abandoned += usize::from(tokio::time::timeout(cut, engine.refresh(w.ws)).await.is_err());
        let audience = engine.audience(w.ws).await.unwrap();
        assert!(audience.members.len() > everyone, "after giving up at {micros} µs: {}", audience.members.len());
    }
    assert!(abandoned > 0, "some refreshes were abandoned");
}
