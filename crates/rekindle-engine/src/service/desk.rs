//! The desk follower: each workspace's tickets and conversations, built once from the events
//! of their names and then followed along the log after its cursor (the one road every reader
//! takes), merges included, so a console write is on the desk as soon as it is stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rekindle_core::WorkspaceId;
use rekindle_core::events;
use rekindle_core::service::Desk;
use rekindle_store::{EventQuery, Horizon, Store, StoredEvent};

/// Events read from the log per page.
const PAGE: u32 = 5000;

/// The names a desk is built from.
const NAMES: [&str; 5] = [
    events::TICKET_OPENED,
    events::TICKET_UPDATED,
    events::TICKET_RESOLVED,
    events::MESSAGE_RECEIVED,
    events::MESSAGE_REPLIED,
];

#[derive(Default)]
struct Followed {
    /// How far the log has been folded; `None` until built.
    cursor: Option<Horizon>,
    desk: Desk,
}

pub struct ServiceDesk {
    store: Arc<dyn Store>,
    workspaces: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<Followed>>>>,
}

fn apply(desk: &mut Desk, e: &StoredEvent) {
    let Some(name) = e.name.as_deref() else { return };
    if e.person == rekindle_core::PersonId::ERASED {
        return;
    }
    let library = e.payload.pointer("/context/library/name").and_then(serde_json::Value::as_str);
    desk.apply(e.person, e.timestamp, name, e.properties(), library);
}

impl ServiceDesk {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, workspaces: Mutex::default() }
    }

    fn followed(&self, ws: WorkspaceId) -> Arc<tokio::sync::Mutex<Followed>> {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().clone()
    }

    /// Look at the desk, brought up to the end of the log.
    pub async fn look<R>(&self, ws: WorkspaceId, look: impl FnOnce(&Desk) -> R) -> rekindle_store::Result<R> {
        let followed = self.followed(ws);
        let mut f = followed.lock().await;
        let now = self.store.horizon(ws).await?;
        match f.cursor {
            None => {
                f.desk = self.build(ws, now.event).await?;
            }
            Some(at) => {
                let mut cursor = at.event;
                while cursor < now.event {
                    let page = self.store.events_between(ws, cursor, now.event, PAGE).await?;
                    let Some(last) = page.last().map(|e| e.id) else { break };
                    for e in &page {
                        apply(&mut f.desk, e);
                    }
                    cursor = last;
                }
                for m in self.store.merges_between(ws, at.merge, now.merge).await? {
                    f.desk.merge(m.from, m.into);
                }
            }
        }
        f.cursor = Some(now);
        Ok(look(&f.desk))
    }

    /// Forget the workspace's desk: it is built again from the log when next looked at (after
    /// an erasure, whose events are gone from the log).
    pub fn reset(&self, ws: WorkspaceId) {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    /// Every event of the desk's names up to event `upto`, folded.
    async fn build(&self, ws: WorkspaceId, upto: i64) -> rekindle_store::Result<Desk> {
        let mut desk = Desk::default();
        for name in NAMES {
            let mut query = EventQuery { name: Some(name.to_owned()), limit: PAGE, ..EventQuery::default() };
            loop {
                let page = self.store.events(ws, &query).await?;
                let Some(last) = page.last() else { break };
                query.before = Some(last.cursor());
                for e in page.iter().filter(|e| e.id <= upto) {
                    apply(&mut desk, e);
                }
                if page.len() < PAGE as usize {
                    break;
                }
            }
        }
        Ok(desk)
    }
}
