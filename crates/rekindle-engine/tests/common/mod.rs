//! A store with the engine's clock held still, for the loyalty tests.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::loyalty::Program;
use rekindle_core::message::Arrival;
use rekindle_core::{Message, WorkspaceId};
use rekindle_engine::live::LiveRooms;
use rekindle_engine::{Engine, Judging};
use rekindle_store::prelude::*;
use rekindle_store::{DEFAULT_WORKSPACE, Source};
use rekindle_store_sqlite::SqliteStore;

pub struct Still {
    pub store: Arc<dyn Store>,
    pub ws: WorkspaceId,
    pub engine: Arc<Engine>,
    now: Arc<Mutex<DateTime<Utc>>>,
    _dir: tempfile::TempDir,
}

impl Still {
    /// A fresh SQLite store whose engine's clock reads `start` until moved.
    pub async fn at(start: DateTime<Utc>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
        let now = Arc::new(Mutex::new(start));
        let clock = {
            let now = now.clone();
            Arc::new(move || *now.lock().unwrap())
        };
        let engine = Arc::new(Engine::new(store.clone(), Judging::default(), clock, std::time::Duration::ZERO));
        Self { store, ws, engine, now, _dir: dir }
    }

    /// [`Still::at`] with the loyalty `program` saved, and the live rooms the points follower
    /// reads watching from.
    #[allow(dead_code)] // only the loyalty tests use it
    pub async fn with_program(start: DateTime<Utc>, program: &Program) -> (Self, Arc<LiveRooms>) {
        let still = Self::at(start).await;
        still.store.put_loyalty_program(still.ws, program, start).await.unwrap();
        let live = Arc::new(LiveRooms::new(still.store.clone(), still.engine.clone()));
        (still, live)
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap() = t;
    }
}

/// A message as an import sends it (historical, arrived at `at`), from its JSON.
#[allow(dead_code)] // only the loyalty tests use it
pub fn historical(json: &serde_json::Value, at: DateTime<Utc>) -> Message {
    let arrival = Arrival { historical: true, ..Arrival::live(at) };
    Message::parse(&json.to_string(), None, &arrival).unwrap()
}

/// Append `messages` under the default identity policy; how many were stored.
#[allow(dead_code)] // only the loyalty tests use it
pub async fn append(store: &dyn Store, ws: WorkspaceId, messages: Vec<Message>) -> u64 {
    store.append(ws, messages, &Source("test".into()), &IdentityPolicy::default()).await.unwrap().stored
}

/// Load a simulated store's events into `store` (the simulator's own message ids) and return
/// each person's truth, in order.
#[allow(dead_code)] // only the tests that score against the simulator use it
pub async fn load_simulation(
    store: &dyn Store,
    ws: WorkspaceId,
    sim: &rekindle_sim::Simulation,
) -> Vec<rekindle_sim::Truth> {
    use rekindle_core::message::Arrival;
    let arrival = Arrival { historical: true, ..Arrival::live(Utc::now()) };
    let mut messages = Vec::new();
    let mut truths = Vec::new();
    for i in 0..sim.config().people {
        let (events, truth) = sim.person(i);
        truths.push(truth);
        for e in events {
            let serde_json::Value::Object(o) = e else { continue };
            let id = o.get("messageId").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
            messages.push(rekindle_core::Message::from_object(o, None, &arrival, id.as_bytes()).unwrap());
        }
    }
    let source = rekindle_store::Source("sim".into());
    store.append(ws, messages, &source, &rekindle_core::identity::IdentityPolicy::default()).await.unwrap();
    truths
}
