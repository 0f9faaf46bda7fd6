//! A store with the engine's clock held still, for the loyalty tests.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_engine::{Engine, Judging};
use rekindle_store::DEFAULT_WORKSPACE;
use rekindle_store::prelude::*;
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

    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap() = t;
    }
}
