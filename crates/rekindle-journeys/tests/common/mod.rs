//! Test support shared by the integration tests: a clock moved by hand, a shop on a real
//! (SQLite) store with an engine and a runner on that clock, and builders of the events,
//! journeys and templates the tests send. Not every test uses every helper.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::journey::Definition;
use rekindle_core::message::Arrival;
use rekindle_core::outreach::{CapsConfig, ChannelKind, MessageTemplate};
use rekindle_core::{Identifier, IdentifierKind, JourneyId, Message, PersonId, WorkspaceId};
use rekindle_delivery::standin::StandIn;
use rekindle_engine::{Engine, Judging};
use rekindle_ingest::Ingestor;
use rekindle_journeys::Runner;
use rekindle_journeys::dispatch::{ChannelDirectory, DispatchConfig, Dispatcher};
use rekindle_store::prelude::*;
use rekindle_store::{DEFAULT_WORKSPACE, PersonRef, Source};
use rekindle_store_sqlite::SqliteStore;
use serde_json::{Value, json};

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct Hands(Arc<Mutex<DateTime<Utc>>>);

impl Hands {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
    pub fn advance(&self, d: chrono::Duration) {
        *self.0.lock().unwrap() += d;
    }
    pub fn clock(&self) -> rekindle_engine::Clock {
        let h = self.0.clone();
        Arc::new(move || *h.lock().unwrap())
    }
}

/// A fresh SQLite store in a temporary directory, and its default workspace.
pub async fn open_store() -> (tempfile::TempDir, Arc<SqliteStore>, WorkspaceId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    (dir, store, ws)
}

/// An engine on the store, judging by default, with the given clock.
pub fn engine(store: &Arc<SqliteStore>, clock: rekindle_engine::Clock) -> Arc<Engine> {
    Arc::new(Engine::new(store.clone(), Judging::default(), clock, std::time::Duration::ZERO))
}

/// A store with an engine and a runner on a clock moved by hand.
pub struct Shop {
    pub store: Arc<SqliteStore>,
    pub ws: WorkspaceId,
    pub engine: Arc<Engine>,
    pub runner: Runner,
    pub hands: Hands,
    _dir: tempfile::TempDir,
}

impl Shop {
    /// A shop whose runner holds to `caps`.
    pub async fn open(now: DateTime<Utc>, caps: CapsConfig) -> Self {
        Self::with_runner(now, |store, engine| Runner::new(store.clone(), engine.clone(), caps)).await
    }

    /// A shop whose runner `runner` makes from the store and engine.
    pub async fn with_runner(
        now: DateTime<Utc>,
        runner: impl FnOnce(&Arc<SqliteStore>, &Arc<Engine>) -> Runner,
    ) -> Self {
        let (dir, store, ws) = open_store().await;
        let hands = Hands::at(now);
        let engine = engine(&store, hands.clock());
        let runner = runner(&store, &engine);
        Shop { store, ws, engine, runner, hands, _dir: dir }
    }
}

/// A dispatcher delivering through `standin`'s channels, recording what happened as events.
pub fn dispatcher(
    store: &Arc<SqliteStore>,
    standin: &StandIn,
    clock: rekindle_engine::Clock,
    config: DispatchConfig,
) -> Dispatcher {
    let channels = Arc::new(ChannelDirectory::new(store.clone(), standin.config()).unwrap());
    Dispatcher::new(store.clone(), channels, clock, config, Ingestor::direct(store.clone(), IdentityPolicy::default()))
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A message as it arrives: received when it happened (the clock here is the test's).
pub fn message(json: Value) -> Message {
    let at = json["timestamp"].as_str().and_then(|t| t.parse().ok()).unwrap_or_else(Utc::now);
    let arrival = Arrival { historical: true, ..Arrival::live(at) };
    Message::parse(&json.to_string(), None, &arrival).unwrap()
}

/// A simulator's message, received now.
pub fn parse(json: &Value) -> Message {
    let arrival = Arrival { historical: true, ..Arrival::live(Utc::now()) };
    Message::parse(&json.to_string(), None, &arrival).unwrap()
}

/// Appends the test's messages to the shop's store.
pub async fn append(s: &Shop, messages: Vec<Value>) {
    append_to(&*s.store, s.ws, messages).await;
}

/// Appends the test's messages to a store.
pub async fn append_to(store: &dyn Store, ws: WorkspaceId, messages: Vec<Value>) {
    let messages = messages.into_iter().map(message).collect();
    store.append(ws, messages, &Source("test".into()), &IdentityPolicy::default()).await.unwrap();
}

/// Appends the simulator's messages to a store.
pub async fn append_sim(store: &dyn Store, ws: WorkspaceId, messages: Vec<Message>) {
    store.append(ws, messages, &Source("sim".into()), &IdentityPolicy::default()).await.unwrap();
}

/// Appends the events of the simulator's first `people` people, a few thousand at a time.
pub async fn append_people(store: &dyn Store, ws: WorkspaceId, sim: &rekindle_sim::Simulation, people: u64) {
    let mut batch = Vec::new();
    for i in 0..people {
        batch.extend(sim.person(i).0.iter().map(parse));
        if batch.len() > 5000 {
            append_sim(store, ws, std::mem::take(&mut batch)).await;
        }
    }
    append_sim(store, ws, batch).await;
}

/// The person with this identifier, if the store knows them.
pub async fn person_by(store: &dyn Store, ws: WorkspaceId, kind: IdentifierKind, value: &str) -> Option<PersonId> {
    let who = PersonRef::Identifier(Identifier { kind, value: value.into() });
    store.person(ws, &who).await.unwrap().map(|p| p.id)
}

/// The person with this user id.
pub async fn person(s: &Shop, user: &str) -> PersonId {
    person_by(&*s.store, s.ws, IdentifierKind::UserId, user).await.unwrap()
}

pub fn track(user: &str, event: &str, id: &str, t: &str, properties: Value) -> Value {
    json!({"type": "track", "event": event, "userId": user, "messageId": id, "timestamp": t, "properties": properties})
}

/// Publishes a journey as of `before`.
pub async fn publish_at(s: &Shop, name: &str, definition: Value, before: DateTime<Utc>) -> JourneyId {
    let d: Definition = serde_json::from_value(definition).unwrap();
    let j = s.store.create_journey(s.ws, name, &d, before).await.unwrap().id;
    s.store.publish_journey(s.ws, j, None, before).await.unwrap();
    s.runner.invalidate(s.ws);
    j
}

/// Publishes a journey the day before now: only the events the test sends later trigger it.
pub async fn publish(s: &Shop, name: &str, definition: Value) -> JourneyId {
    publish_at(s, name, definition, s.hands.now() - chrono::Duration::days(1)).await
}

/// A template without provider parameters, link or attachments.
pub fn template(name: &str, channel: ChannelKind, text: &str, provider_template: Option<&str>) -> MessageTemplate {
    MessageTemplate {
        name: name.into(),
        channel,
        text: text.into(),
        provider_template: provider_template.map(str::to_owned),
        params: vec![],
        link: None,
        transactional: false,
        attachments: vec![],
    }
}
