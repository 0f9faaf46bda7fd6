//! A fold of some event names kept current per workspace: built once from the events of its
//! names, then followed along the log after its cursor (the one road every reader takes),
//! merges included, so a write is in the fold as soon as it is stored. The service desk and
//! the groups are such folds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::tail::Tail;
use rekindle_store::{EventQuery, Horizon, Store, StoredEvent};
use serde_json::Value;

/// Events read from the log per page.
const PAGE: u32 = 5000;

/// What a follower keeps: a fold of the events of `NAMES`.
pub trait Fold: Default + Send + 'static {
    /// The names it is built from (others are offered too while following, and ignored).
    const NAMES: &'static [&'static str];
    /// Fold one event in; `library` is what sent it (`context.library.name`).
    fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value, library: Option<&str>);
    /// `from` was merged into `into`.
    fn merge(&mut self, from: PersonId, into: PersonId);
}

#[derive(Default)]
struct Followed<T> {
    /// How far the log has been folded; `None` until built.
    cursor: Option<Horizon>,
    fold: T,
}

pub struct Follower<T> {
    store: Arc<dyn Store>,
    log: Arc<Tail>,
    workspaces: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<Followed<T>>>>>,
}

fn apply<T: Fold>(fold: &mut T, e: &StoredEvent) {
    let Some(name) = e.name.as_deref() else { return };
    if e.person == PersonId::ERASED {
        return;
    }
    let library = e.payload.pointer("/context/library/name").and_then(Value::as_str);
    fold.apply(e.person, e.timestamp, name, e.properties(), library);
}

impl<T: Fold> Follower<T> {
    /// A fold following `store`'s log through `log`, the process's shared tail of it.
    pub fn new(store: Arc<dyn Store>, log: Arc<Tail>) -> Self {
        Self { store, log, workspaces: Mutex::default() }
    }

    fn followed(&self, ws: WorkspaceId) -> Arc<tokio::sync::Mutex<Followed<T>>> {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().clone()
    }

    /// Look at the fold, brought up to the end of the log.
    pub async fn look<R>(&self, ws: WorkspaceId, look: impl FnOnce(&T) -> R) -> rekindle_store::Result<R> {
        let followed = self.followed(ws);
        let mut f = followed.lock().await;
        let now = self.store.horizon(ws).await?;
        match f.cursor {
            None => f.fold = self.build(ws, now.event).await?,
            Some(at) => {
                let mut cursor = at.event;
                while cursor < now.event {
                    let page = self.log.between(&*self.store, ws, cursor, now.event, PAGE).await?;
                    let Some(last) = page.last().map(|e| e.id) else { break };
                    for e in &page {
                        apply(&mut f.fold, e);
                    }
                    cursor = last;
                }
                for m in self.store.merges_between(ws, at.merge, now.merge).await? {
                    f.fold.merge(m.from, m.into);
                }
            }
        }
        f.cursor = Some(now);
        Ok(look(&f.fold))
    }

    /// Forget the workspace's fold: it is built again from the log when next looked at (after
    /// an erasure, whose events are gone from the log).
    pub fn reset(&self, ws: WorkspaceId) {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    /// Every event of the fold's names up to event `upto`, folded.
    async fn build(&self, ws: WorkspaceId, upto: i64) -> rekindle_store::Result<T> {
        let mut fold = T::default();
        for name in T::NAMES {
            let mut query = EventQuery { name: Some((*name).to_owned()), limit: PAGE, ..EventQuery::default() };
            loop {
                let page = self.store.events(ws, &query).await?;
                let Some(last) = page.last() else { break };
                query.before = Some(last.cursor());
                for e in page.iter().filter(|e| e.id <= upto) {
                    apply(&mut fold, e);
                }
                if page.len() < PAGE as usize {
                    break;
                }
            }
        }
        Ok(fold)
    }
}
