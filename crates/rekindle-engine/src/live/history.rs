//! A session's room rebuilt from the log: its events in time order, read by time around the
//! session, up to a point of the log.

use chrono::{DateTime, Duration, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::live::{self, Room};
use rekindle_core::objects::LiveSession;
use rekindle_store::{EventQuery, Store, StoredEvent};

use crate::folded::profile_event;

/// Events read per page.
const PAGE: u32 = 10_000;
/// How far before the start people may enter (the room opens early) and after the end
/// orders placed in the session may be stamped.
const BEFORE: Duration = Duration::minutes(30);
const AFTER: Duration = Duration::hours(2);

/// Where a session's minute 0 is: its actual start, else the scheduled one.
pub fn origin(s: &LiveSession) -> DateTime<Utc> {
    s.started_at.unwrap_or(s.scheduled_start)
}

/// Where the session ends, as far as is known at `now`: its end, else now (it runs, or never
/// said it ended), and never before it started.
pub fn end(s: &LiveSession, now: DateTime<Utc>) -> DateTime<Utc> {
    s.ended_at.unwrap_or(now).max(origin(s))
}

/// The session's room from every event of it in the log up to event `upto` (inclusive).
pub async fn room(
    store: &dyn Store,
    ws: WorkspaceId,
    session: &LiveSession,
    now: DateTime<Utc>,
    upto: i64,
) -> rekindle_store::Result<Room> {
    let mut events = session_events(store, ws, session, now, upto).await?;
    events.sort_by_key(|e| (e.timestamp, e.id));
    let mut room = Room::new(origin(session));
    for e in &events {
        fold(&mut room, e, &session.id);
    }
    Ok(room)
}

/// Fold one stored event into the room of `session`, if it is about that session.
pub fn fold(room: &mut Room, e: &StoredEvent, session: &str) -> bool {
    match live::read(&profile_event(e)) {
        Some((s, signal)) if s == session => {
            room.apply(e.person, e.timestamp, signal, &e.message_id);
            true
        }
        _ => false,
    }
}

async fn session_events(
    store: &dyn Store,
    ws: WorkspaceId,
    session: &LiveSession,
    now: DateTime<Utc>,
    upto: i64,
) -> rekindle_store::Result<Vec<StoredEvent>> {
    let mut query = EventQuery {
        from: Some(origin(session) - BEFORE),
        to: Some(end(session, now) + AFTER),
        limit: PAGE,
        ..EventQuery::default()
    };
    let mut out = Vec::new();
    loop {
        let page = store.events(ws, &query).await?;
        let Some(last) = page.last() else { break };
        query.before = Some(last.cursor());
        let full = page.len() == PAGE as usize;
        out.extend(page.into_iter().filter(|e| e.id <= upto && mentions(e, &session.id)));
        if !full {
            break;
        }
    }
    Ok(out)
}

/// Whether the event names the session (cheaply, before it is read in full).
fn mentions(e: &StoredEvent, session: &str) -> bool {
    rekindle_core::profile::text(e.property("session_id")).is_some_and(|s| s == session)
}
