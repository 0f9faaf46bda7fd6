//! Live rooms (DESIGN.md, Capabilities 10; docs/live.md): the rooms of running sessions kept
//! current from the event log, the monitor built from them, and each session's review.
//!
//! The follower reads the log after its cursor (the one road every reader takes), so what the
//! monitor shows is exactly what was stored; a room it has not seen yet is rebuilt from the
//! log up to the cursor, then followed from there, so nothing is counted twice.

mod classes;
pub mod history;
mod monitor;
mod recent;
mod reviews;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Duration;
use rekindle_core::WorkspaceId;
use rekindle_core::live::review::Review;
use rekindle_core::live::{Room, monitor::Monitor};
use rekindle_core::objects::LiveSession;
use rekindle_store::Store;

use crate::Engine;
use classes::Classes;

/// Events read from the log per page.
const PAGE: u32 = 5000;
/// A followed room no event has reached for this long is let go (a review rebuilds it).
const IDLE: Duration = Duration::hours(6);
/// How long the catalogue of sessions and a finished session's review are reused.
const FRESH: std::time::Duration = std::time::Duration::from_secs(30);
/// Earlier sessions a review and the monitor compare with.
const EARLIER: usize = 12;

pub struct LiveRooms {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    workspaces: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<Rooms>>>>,
    /// Counts follows that read something: monitors wait on it rather than poll.
    changed: tokio::sync::watch::Sender<u64>,
    /// How long the latest monitor builds took, and their composition, newest last.
    builds: Mutex<std::collections::VecDeque<(std::time::Duration, std::time::Duration)>>,
    /// Suggests answers to the questions waiting, when the store has a knowledge base.
    assistant: Option<Arc<crate::service::Assistant>>,
    /// Comments already asked of the assistant: each is logged once, however often the
    /// monitor is built.
    asked: Mutex<std::collections::HashSet<String>>,
}

/// Comments remembered as asked of the assistant; past this the memory starts again.
const ASKED_KEPT: usize = 100_000;
/// Build times kept for [`LiveRooms::build_times`].
const BUILDS_KEPT: usize = 10_000;

#[derive(Default)]
struct Rooms {
    /// The last event folded; `None` until the first follow, which starts at the end of the log.
    cursor: Option<i64>,
    open: HashMap<String, Room>,
    sessions: Option<(Instant, Arc<Vec<LiveSession>>)>,
    classes: Classes,
    /// Reviews of sessions that ended, and when each was made.
    reviews: HashMap<String, (Instant, Arc<Review>)>,
    /// The last monitor built of each room, with the cursor it saw: every screen watching a
    /// room shares one build.
    built: HashMap<String, (Option<i64>, Instant, Arc<Monitor>)>,
}

impl LiveRooms {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>) -> Self {
        Self {
            store,
            engine,
            workspaces: Mutex::new(HashMap::new()),
            changed: tokio::sync::watch::Sender::new(0),
            builds: Mutex::new(std::collections::VecDeque::new()),
            assistant: None,
            asked: Mutex::default(),
        }
    }

    /// Suggest answers to the questions waiting from the store's knowledge base.
    pub fn with_assistant(mut self, assistant: Arc<crate::service::Assistant>) -> Self {
        self.assistant = Some(assistant);
        self
    }

    /// Changes whenever a follow folded new events.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// How long the latest monitor builds took, and of that the composition by segment, tier
    /// and stage over everyone in the room (for `rekindle bench live`).
    pub fn build_times(&self) -> Vec<(std::time::Duration, std::time::Duration)> {
        self.builds.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect()
    }

    fn took(&self, build: (std::time::Duration, std::time::Duration)) {
        let mut builds = self.builds.lock().unwrap_or_else(|p| p.into_inner());
        if builds.len() == BUILDS_KEPT {
            builds.pop_front();
        }
        builds.push_back(build);
    }

    /// The workspaces whose rooms someone has looked at.
    pub fn followed(&self) -> Vec<WorkspaceId> {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).keys().copied().collect()
    }

    fn rooms(&self, ws: WorkspaceId) -> Arc<tokio::sync::Mutex<Rooms>> {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().clone()
    }

    /// Fold what was appended since the last call into the rooms followed. Returns the events
    /// read.
    pub async fn follow(&self, ws: WorkspaceId) -> rekindle_store::Result<usize> {
        let rooms = self.rooms(ws);
        let mut rooms = rooms.lock().await;
        self.follow_locked(ws, &mut rooms).await
    }

    async fn follow_locked(&self, ws: WorkspaceId, rooms: &mut Rooms) -> rekindle_store::Result<usize> {
        let horizon = self.store.horizon(ws).await?.event;
        let Some(mut cursor) = rooms.cursor else {
            rooms.cursor = Some(horizon);
            return Ok(0);
        };
        let mut read = 0;
        while cursor < horizon {
            let page = self.engine.log().between(&*self.store, ws, cursor, horizon, PAGE).await?;
            let Some(last) = page.last().map(|e| e.id) else { break };
            for e in &page {
                let Some(session) = rekindle_core::profile::text(e.property("session_id")) else { continue };
                // Only the rooms being watched are followed; others are rebuilt when asked.
                if let Some(room) = rooms.open.get_mut(&session) {
                    history::fold(room, e, &session);
                }
            }
            read += page.len();
            cursor = last;
            rooms.cursor = Some(cursor);
        }
        let now = self.engine.now();
        // Rooms the journeys look at (see `recent`) are kept for as long as they look.
        rooms.open.retain(|_, r| r.latest.is_none_or(|t| now - t < IDLE) || now - r.origin < recent::RECENT);
        if read > 0 {
            self.changed.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(read)
    }

    /// The store's sessions in start order, and where `id` is among them. A session not in the
    /// list kept is looked for in the store again: it may have been added since.
    async fn find(
        &self,
        ws: WorkspaceId,
        rooms: &mut Rooms,
        id: &str,
    ) -> rekindle_store::Result<Option<(Arc<Vec<LiveSession>>, usize)>> {
        for fresh in [false, true] {
            let sessions = self.sessions(ws, rooms, fresh).await?;
            if let Some(i) = sessions.iter().position(|s| s.id == id) {
                return Ok(Some((sessions, i)));
            }
        }
        Ok(None)
    }

    async fn sessions(
        &self,
        ws: WorkspaceId,
        rooms: &mut Rooms,
        reload: bool,
    ) -> rekindle_store::Result<Arc<Vec<LiveSession>>> {
        if let Some((at, s)) = &rooms.sessions
            && at.elapsed() < FRESH
            && !reload
        {
            return Ok(s.clone());
        }
        let mut all = self.store.live_sessions(ws).await?;
        all.sort_by(|a, b| history::origin(a).cmp(&history::origin(b)).then(a.id.cmp(&b.id)));
        let all = Arc::new(all);
        rooms.sessions = Some((Instant::now(), all.clone()));
        Ok(all)
    }

    /// The monitor of a session, or `None` when the store has no such session.
    pub async fn monitor(&self, ws: WorkspaceId, session_id: &str) -> rekindle_store::Result<Option<Arc<Monitor>>> {
        let rooms = self.rooms(ws);
        let mut rooms = rooms.lock().await;
        self.follow_locked(ws, &mut rooms).await?;
        // Within a second and with nothing new, the last build still holds.
        if let Some((cursor, at, m)) = rooms.built.get(session_id)
            && *cursor == rooms.cursor
            && at.elapsed() < std::time::Duration::from_secs(1)
        {
            return Ok(Some(m.clone()));
        }
        let Some((sessions, i)) = self.find(ws, &mut rooms, session_id).await? else { return Ok(None) };
        let session = &sessions[i];
        let now = self.engine.now();
        if !rooms.open.contains_key(session_id) {
            let upto = rooms.cursor.unwrap_or(0);
            let room = history::room(&*self.store, ws, session, now, upto).await?;
            rooms.open.insert(session_id.to_owned(), room);
        }
        let earlier = self.earlier(ws, &mut rooms, &sessions, i).await?;
        let audience = self.engine.latest(ws);
        let Rooms { open, classes, .. } = &mut *rooms;
        classes.follow(audience.as_ref());
        let room = &open[session_id];
        let at = now.min(history::end(session, now));
        let started = Instant::now();
        let (mut m, composition) = monitor::build(room, session, at, classes, &earlier);
        self.took((started.elapsed(), composition));
        classes.name(&*self.store, ws, &mut m).await?;
        if let Some(assistant) = &self.assistant {
            for w in &mut m.waiting {
                let first = {
                    let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
                    if asked.len() >= ASKED_KEPT {
                        asked.clear();
                    }
                    asked.insert(w.comment_id.clone())
                };
                let answer = if first {
                    assistant.answer(ws, &w.text, Some(w.person), "live", now).await?
                } else {
                    assistant.ask(ws, &w.text, 1).await?
                };
                w.suggestion = answer.given().cloned();
            }
        }
        let m = Arc::new(m);
        let cursor = rooms.cursor;
        rooms.built.insert(session_id.to_owned(), (cursor, Instant::now(), m.clone()));
        Ok(Some(m))
    }
}
