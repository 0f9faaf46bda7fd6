//! Each session's review, compared with the sessions before it, and the reviews the monitor
//! compares a running room with.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, Timelike};
use rekindle_core::live;
use rekindle_core::live::review::{self, Next, Review, ViewerFacts};
use rekindle_core::objects::LiveSession;
use rekindle_core::{PersonId, WorkspaceId};

use super::{EARLIER, FRESH, LiveRooms, Rooms, history};

/// How old a kept review may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reuse {
    /// Made within [`FRESH`].
    Fresh,
    /// Any age.
    Any,
}

impl LiveRooms {
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
    pub(super) async fn earlier(
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
                returning: m.profile.first_live().is_some_and(|(at, id)| at < origin && id != s.id),
                private: m.profile.reachable(),
                known: m.profile.known(),
            },
            None => ViewerFacts::default(),
        };
        let next = sessions.get(i + 1).filter(|n| history::origin(n) <= now);
        let next_viewers: HashSet<PersonId> = match (next, audience.as_ref()) {
            (Some(n), Some(a)) => a.members.iter().filter(|m| m.profile.was_in(&n.id)).map(|m| m.person).collect(),
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
