//! The program's figures (`Program::figures`) over what the store holds: every ledger entry
//! and every recorded `Level Changed`.

use chrono::{DateTime, Utc};
use rekindle_core::calendar::{Calendar, Grain};
use rekindle_core::loyalty::Figures;
use rekindle_core::{PersonId, WorkspaceId, events};
use rekindle_store::{EventCursor, EventQuery, Store};

/// Level changes read per page.
const PAGE: u32 = 5000;

pub async fn figures(
    store: &dyn Store,
    ws: WorkspaceId,
    calendar: &Calendar,
    grain: Grain,
    periods: usize,
    now: DateTime<Utc>,
) -> rekindle_store::Result<Figures> {
    let program = store.loyalty_program(ws).await?;
    let (_, entries) = store.points_ledgers(ws).await?;
    let mut changes: Vec<(PersonId, DateTime<Utc>, String)> = Vec::new();
    let mut before: Option<EventCursor> = None;
    loop {
        let query = EventQuery {
            name: Some(events::LEVEL_CHANGED.to_owned()),
            to: Some(now),
            before,
            limit: PAGE,
            ..EventQuery::default()
        };
        let page = store.events(ws, &query).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.cursor());
        let full = page.len() == PAGE as usize;
        changes.extend(page.into_iter().filter_map(|e| {
            let level = e.properties().get("level")?.as_str()?.to_owned();
            Some((e.person, e.timestamp, level))
        }));
        if !full {
            break;
        }
    }
    Ok(program.figures(calendar, grain, periods, now, &entries, &changes))
}
