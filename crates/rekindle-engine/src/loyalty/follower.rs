//! The points follower (docs/loyalty.md, "Earning"): reads the event log after its cursor (the
//! one road every reader takes) and writes what each event earns under the program; watching a
//! session long enough is read off the live rooms' fold, as the monitor counts it. Every award
//! is keyed by its source, so reading an event twice (after a crash, on two nodes) awards once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono_tz::Tz;
use rekindle_core::loyalty::earn::{Earning, counted_on_day, refund_claw_back};
use rekindle_core::loyalty::{Entry, Posted, Program};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Store, StoredEvent};

use crate::Engine;
use crate::folded::profile_event;
use crate::live::LiveRooms;

/// Events read from the log per page.
const PAGE: u32 = 2000;
/// Awards posted in one write, at most: a page's awards in a few short writes, as a journey's
/// write that asks for SQLite's one writer meanwhile waits until the one holding it is done.
const POSTS_AT_ONCE: usize = 100;
/// How often every balance is looked at for points that reached their expiry.
const EXPIRE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

pub struct PointsFollower {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    live: Arc<LiveRooms>,
    /// Watching awards written by this process: the rooms are looked at on every pass.
    watched: Mutex<HashSet<String>>,
    /// When each workspace's balances were last looked at for expiry.
    expired: Mutex<std::collections::HashMap<WorkspaceId, std::time::Instant>>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Followed {
    pub events: usize,
    pub awarded: usize,
    pub expired: usize,
    /// Writes the awards took.
    pub writes: usize,
}

impl PointsFollower {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>, live: Arc<LiveRooms>) -> Self {
        Self { store, engine, live, watched: Mutex::default(), expired: Mutex::default() }
    }

    /// Award what was appended since the last pass, and watching in the rooms of the last day.
    pub async fn follow(&self, ws: WorkspaceId) -> rekindle_store::Result<Followed> {
        let store = &*self.store;
        let program = store.loyalty_program(ws).await?;
        let tz = store.calendar(ws).await?.tz;
        let mut done = Followed::default();
        let mut cursor = store.points_cursor(ws).await?;
        let horizon = store.horizon(ws).await?.event;
        while cursor < horizon {
            let page = self.engine.log().between(store, ws, cursor, horizon, PAGE).await?;
            let Some(last) = page.last().map(|e| e.id) else { break };
            // A page's awards are posted together, a transaction's worth at a time. The ledgers
            // its capped and refunded earnings are judged by (the day's count, the order's
            // points) are read at once and kept up to date with what the page earns, so no
            // judgement reads the store after the page began: a person's awards need not be
            // written before their next event (`rekindle_core::held`'s rule), and a live room's
            // regulars, each with an award every few events, do not cut the page into a write
            // per handful of events (hundreds a second under a busy store's traffic, issue 24).
            let earnings: Vec<Option<Earning>> = page.iter().map(|e| earning(&program, tz, e)).collect();
            let judged: Vec<PersonId> = page
                .iter()
                .zip(&earnings)
                .filter(|(_, en)| matches!(en, Some(Earning::Capped { .. } | Earning::Refunded { .. })))
                .map(|(e, _)| e.person)
                .collect();
            let mut ledgers =
                if judged.is_empty() { HashMap::new() } else { store.points_entries_of(ws, &judged).await? };
            let mut awards = Vec::new();
            for (e, earning) in page.iter().zip(earnings) {
                let Some(earning) = earning else { continue };
                let Some(entry) = judge(&program, tz, e, earning, ledgers.get(&e.person)) else { continue };
                if let Some(ledger) = ledgers.get_mut(&e.person)
                    && !ledger.iter().any(|l| l.source == entry.source)
                {
                    ledger.push(entry.clone());
                }
                awards.push((e.person, entry));
            }
            for chunk in awards.chunks(POSTS_AT_ONCE) {
                done.awarded += self.post(ws, chunk).await?;
                done.writes += 1;
            }
            done.events += page.len();
            // Written down after the page: a crash re-reads it, which awards nobody twice.
            store.set_points_cursor(ws, last).await?;
            cursor = last;
        }
        done.awarded += self.watching(ws, &program, tz).await?;
        let due = self
            .expired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&ws)
            .is_none_or(|at| at.elapsed() >= EXPIRE_EVERY);
        if due {
            done.expired = self.expire(ws).await?;
            self.expired.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, std::time::Instant::now());
        }
        Ok(done)
    }

    /// Write the expiry of every credit whose points reached their expiry unspent, keyed by
    /// that credit, so it expires once. Returns the people whose points expired.
    pub async fn expire(&self, ws: WorkspaceId) -> rekindle_store::Result<usize> {
        let now = self.engine.now();
        let mut people = 0;
        for (person, balance) in self.store.points_balances(ws).await? {
            if balance <= 0 {
                continue;
            }
            let ledger = rekindle_core::loyalty::Ledger::new(self.store.points_entries(ws, person).await?);
            let due = ledger.expiries_due(now);
            if !due.is_empty() {
                self.store.post_points(ws, person, &due).await?;
                people += 1;
            }
        }
        Ok(people)
    }

    /// Post people's entries in one write; how many were written (not already there).
    async fn post(&self, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> rekindle_store::Result<usize> {
        if entries.is_empty() {
            return Ok(0);
        }
        let posted = self.store.post_points_of_many(ws, entries).await?;
        Ok(posted.iter().filter(|p| **p == Posted::Written).count())
    }

    /// Viewers of the last day's sessions who have watched long enough, awarded once each.
    async fn watching(&self, ws: WorkspaceId, program: &Program, tz: Tz) -> rekindle_store::Result<usize> {
        let now = self.engine.now();
        let due = self
            .live
            .recent(ws, |rooms| {
                let watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
                let mut due = Vec::new();
                for (session, room) in rooms {
                    for (person, v) in &room.viewers {
                        let at = v.spans.last().map_or(now, |s| s.end);
                        if let Some(entry) = program.watched(&session.id, *person, v.watched_seconds(), at, tz)
                            && !watched.contains(&entry.source)
                        {
                            due.push((*person, entry));
                        }
                    }
                }
                due
            })
            .await?;
        let sources: Vec<String> = due.iter().map(|(_, entry)| entry.source.clone()).collect();
        let awarded = self.post(ws, &due).await?;
        self.watched.lock().unwrap_or_else(|p| p.into_inner()).extend(sources);
        Ok(awarded)
    }
}

/// What the event earns under the program, before any cap.
fn earning(program: &Program, tz: Tz, e: &StoredEvent) -> Option<Earning> {
    if e.person == PersonId::ERASED || e.name.is_none() {
        return None;
    }
    program.earning(&profile_event(e), &e.message_id, tz)
}

/// The entry an earning writes, judged by the person's ledger (the day's count under a cap,
/// what a refunded order earned).
fn judge(program: &Program, tz: Tz, e: &StoredEvent, earning: Earning, ledger: Option<&Vec<Entry>>) -> Option<Entry> {
    let entries = ledger.map_or(&[][..], Vec::as_slice);
    match earning {
        Earning::Earn(entry) => Some(entry),
        Earning::Capped { entry, counted, per_day } => {
            (counted_on_day(entries, counted, entry.at, tz) < per_day as usize).then_some(entry)
        }
        Earning::Refunded { order_id, points, message_id } => {
            refund_claw_back(program, entries, &order_id, points, &message_id, e.timestamp)
        }
    }
}
