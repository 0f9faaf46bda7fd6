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

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{Datelike, Duration, Timelike};
use rekindle_core::live::review::{self, Next, Review, ViewerFacts};
use rekindle_core::live::{self, Room, monitor::Monitor};
use rekindle_core::objects::LiveSession;
use rekindle_core::{PersonId, WorkspaceId};
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
}

/// How old a kept review may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reuse {
    /// Made within [`FRESH`].
    Fresh,
    /// Any age.
    Any,
}

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
        }
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
            let page = self.store.events_between(ws, cursor, horizon, PAGE).await?;
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
        let m = Arc::new(m);
        let cursor = rooms.cursor;
        rooms.built.insert(session_id.to_owned(), (cursor, Instant::now(), m.clone()));
        Ok(Some(m))
    }

    /// The review of a session, compared with the sessions before it; `None` when the store has
    /// no such session.
    pub async fn review(&self, ws: WorkspaceId, session_id: &str) -> rekindle_store::Result<Option<Arc<Review>>> {
        let rooms = self.rooms(ws);
        let mut rooms = rooms.lock().await;
        let Some((sessions, i)) = self.find(ws, &mut rooms, session_id).await? else { return Ok(None) };
        let mut r = (*self.reviewed(ws, &mut rooms, &sessions, i, Reuse::Fresh).await?).clone();
        let earlier = self.earlier(ws, &mut rooms, &sessions, i).await?;
        let calendar = self.engine.latest(ws).as_ref().map(|a| a.context.calendar).unwrap_or_default();
        let slot = |s: &LiveSession| {
            let t = calendar.local(history::origin(s));
            (t.weekday(), t.hour())
        };
        let mine = slot(&sessions[i]);
        let pairs: Vec<(&Review, bool)> =
            earlier.iter().map(|(s, r)| (r.as_ref(), slot(&sessions[*s]) == mine)).collect();
        r.compared = live::monitor::compare(&r, &pairs);
        Ok(Some(Arc::new(r)))
    }

    /// Reviews of up to [`EARLIER`] sessions before session `i` that have ended, with their index:
    /// the ones made already, whenever that was (what they are compared with moves little,
    /// and the monitor must not read twelve sessions from the log every half minute).
    async fn earlier(
        &self,
        ws: WorkspaceId,
        rooms: &mut Rooms,
        sessions: &[LiveSession],
        i: usize,
    ) -> rekindle_store::Result<Vec<(usize, Arc<Review>)>> {
        let mut out = Vec::new();
        for j in (0..i).rev().filter(|&j| sessions[j].ended_at.is_some()).take(EARLIER) {
            out.push((j, self.reviewed(ws, rooms, sessions, j, Reuse::Any).await?));
        }
        Ok(out)
    }

    /// Session `i`'s review without comparisons: reused once it has ended, for a while or
    /// (`Reuse::Any`) for as long as it is kept.
    async fn reviewed(
        &self,
        ws: WorkspaceId,
        rooms: &mut Rooms,
        sessions: &[LiveSession],
        i: usize,
        reuse: Reuse,
    ) -> rekindle_store::Result<Arc<Review>> {
        let s = &sessions[i];
        if let Some((at, r)) = rooms.reviews.get(&s.id)
            && (reuse == Reuse::Any || at.elapsed() < FRESH)
        {
            return Ok(r.clone());
        }
        let now = self.engine.now();
        let upto = self.store.horizon(ws).await?.event;
        let room = history::room(&*self.store, ws, s, now, upto).await?;
        // A review read on its own is read after the fact: the audience brought up to date. One
        // compared with is read beside a running room: the last audience does.
        let audience = match reuse {
            Reuse::Fresh => Some(self.engine.audience(ws).await?),
            Reuse::Any => (*self.engine.latest(ws)).clone(),
        };
        let origin = history::origin(s);
        let facts = |p: PersonId| match audience.as_ref().and_then(|a| a.member(p)) {
            Some(m) => ViewerFacts {
                returning: m.profile.first_live.is_some_and(|(at, id)| at < origin && id != s.id),
                private: m.profile.reachable(),
                known: m.profile.known(),
            },
            None => ViewerFacts::default(),
        };
        let next = sessions.get(i + 1).filter(|n| history::origin(n) <= now);
        let next_viewers: HashSet<PersonId> = match (next, audience.as_ref()) {
            (Some(n), Some(a)) => a
                .members
                .iter()
                .filter(|m| m.profile.watched_by_session.iter().any(|(id, _)| *id == n.id))
                .map(|m| m.person)
                .collect(),
            _ => HashSet::new(),
        };
        let r = Arc::new(review::review(
            &room,
            review::Span { id: &s.id, end: history::end(s, now) },
            facts,
            next.map(|n| Next { id: &n.id, viewers: &next_viewers }),
        ));
        if s.ended_at.is_some() {
            rooms.reviews.insert(s.id.clone(), (Instant::now(), r.clone()));
        }
        Ok(r)
    }
}
