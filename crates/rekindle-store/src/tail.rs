//! The newest stretch of each workspace's event log, read from the store once and shared by
//! every follower of the log in one process: the journey runner, the points follower, the live
//! rooms, the books and the refresh. Each used to read every event itself, five reads of each
//! event, which was most of PostgreSQL's work while ingesting (docs/benchmarks.md).
//!
//! An event's person is the one it had when the tail read it. A merge committed later rewrites
//! it in the store, so a follower served from the tail sees what it would have seen reading
//! the event then, which it already must handle: the followers that track people apply the
//! merge log after the events they read (`Folded::catch_up`). An erasure rewrites events in
//! place, so it makes the workspace's tail start again ([`Tail::forget`]).
//!
//! The applier feeds the tail what each append wrote ([`Feed`]) where the store can say it
//! exactly (SQLite): then the followers at the head read nothing back from the store, and
//! decode no payload a second time. A follower's read fills in wherever a feed did not fit.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rekindle_core::WorkspaceId;

use crate::{Appended, Result, Store, StoredEvent};

/// Events kept per workspace: a follower further behind than this reads the store itself.
pub const TAIL_EVENTS: usize = 20_000;

/// Most events read from the store at once to extend a tail: a quarter of what it keeps, up
/// to this.
const FILL: u32 = 5_000;

pub struct Tail {
    capacity: usize,
    fill: u32,
    windows: Mutex<HashMap<WorkspaceId, Arc<Mutex<Window>>>>,
}

/// Every event with `from < id <= to`, in id order.
#[derive(Default)]
struct Window {
    events: VecDeque<Arc<StoredEvent>>,
    from: i64,
    to: i64,
}

impl Default for Tail {
    fn default() -> Self {
        Self::new(TAIL_EVENTS)
    }
}

impl Tail {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let fill = u32::try_from(capacity / 4).unwrap_or(FILL).clamp(1, FILL);
        Self { capacity, fill, windows: Mutex::default() }
    }

    /// What [`crate::EventLog::events_between`] gives: events with `after < id <= upto`, at
    /// most `limit`, in id order. `upto` must be a horizon read from [`crate::EventLog::horizon`]:
    /// the tail takes every id up to it as settled.
    pub async fn between(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<Vec<Arc<StoredEvent>>> {
        let window = self.windows.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().clone();
        let limit = limit as usize;
        loop {
            // Never held across a read of the store: a follower at the head (the journey
            // runner) must not wait while another reads a page.
            let read_from = {
                let mut w = window.lock().unwrap_or_else(|p| p.into_inner());
                if after < w.from {
                    None
                } else {
                    if after > w.to {
                        // Ahead of what is kept (nobody read the log for a while): start here.
                        *w = Window { events: VecDeque::new(), from: after, to: after };
                    }
                    let start = w.events.partition_point(|e| e.id <= after);
                    if w.to >= upto || w.events.len() - start >= limit {
                        return Ok(self.serve(&mut w, start, upto, limit));
                    }
                    Some(w.to)
                }
            };
            let Some(to) = read_from else {
                // Older than what is kept: this follower is catching up on its own.
                let page = store.events_between(ws, after, upto, limit as u32).await?;
                return Ok(page.into_iter().map(Arc::new).collect());
            };
            let page = store.events_between(ws, to, upto, self.fill).await?;
            let mut w = window.lock().unwrap_or_else(|p| p.into_inner());
            // Another follower may have read on meanwhile: then its page stands, and this
            // one looks again.
            if w.to == to {
                w.to = match page.last() {
                    Some(last) if page.len() == self.fill as usize => last.id,
                    _ => upto,
                };
                w.events.extend(page.into_iter().map(Arc::new));
            }
        }
    }

    /// Up to `limit` events from `start` up to `upto`; then what is past the capacity goes.
    fn serve(&self, w: &mut Window, start: usize, upto: i64, limit: usize) -> Vec<Arc<StoredEvent>> {
        let served = w.events.range(start..).take_while(|e| e.id <= upto).take(limit).cloned().collect();
        // Fed windows are trimmed as they are fed: this trims only what followers read in.
        w.trim(self.capacity);
        served
    }

    /// Where the workspace's next append goes once committed: taken before the append, so an
    /// erasure meanwhile ([`Tail::forget`]) sends it to a tail nobody reads any more.
    pub fn feed(&self, ws: WorkspaceId) -> Feed {
        let window = self.windows.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().clone();
        Feed { window, capacity: self.capacity }
    }

    /// Start the workspace's tail again: its events were rewritten (an erasure). An append
    /// under way feeds the tail it started with ([`Tail::feed`]), not the new one.
    pub fn forget(&self, ws: WorkspaceId) {
        self.windows.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }
}

impl Window {
    /// Let go of what is past the capacity; handed back, to be freed outside the lock.
    fn trim(&mut self, capacity: usize) -> Vec<Arc<StoredEvent>> {
        let past = self.events.len().saturating_sub(capacity);
        let dropped: Vec<_> = self.events.drain(..past).collect();
        if let Some(last) = dropped.last() {
            self.from = last.id;
        }
        dropped
    }
}

/// One append's way into a workspace's tail ([`Tail::feed`]).
pub struct Feed {
    window: Arc<Mutex<Window>>,
    capacity: usize,
}

impl Feed {
    /// What the append wrote, kept if it continues the tail where it ends; otherwise (a
    /// follower already read past it, or another append came between) the followers read
    /// from the store as before.
    pub fn push(self, appended: Appended) {
        let Some(last) = appended.events.last().map(|e| e.id) else { return };
        let dropped = {
            let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
            if w.to != appended.after {
                return;
            }
            w.to = last;
            w.events.extend(appended.events.into_iter().map(Arc::new));
            w.trim(self.capacity)
        };
        // A follower at the head may be waiting for the lock: it does not wait for this.
        drop(dropped);
    }
}
