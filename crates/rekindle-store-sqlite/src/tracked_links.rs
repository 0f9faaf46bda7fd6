//! Tracked links and the clicks behind a journey's readout. Same answers as PostgreSQL's
//! tracked_links.rs.

use std::collections::BTreeMap;

use rekindle_core::ids::Uuid;
use rekindle_core::outreach::ChannelKind;
use rekindle_core::{JourneyId, PersonId, WorkspaceId, events};
use rekindle_store::{ClickCounts, Result, StoreError, TrackedLink, TrackedLinks};
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{ms, parse, time};
use crate::{Cached, SqliteStore, db_err};

/// The person a row was written for, as they are now: merges keep other rows' ids.
const NOW_PERSON: &str = "COALESCE((SELECT merged_into FROM people WHERE id = x.person_id), x.person_id)";

fn save(tx: &Connection, ws: WorkspaceId, links: &[TrackedLink]) -> Result<()> {
    for l in links {
        let inserted = tx
            .cached_execute(
                "INSERT OR IGNORE INTO tracked_links
                    (code, workspace_id, send_key, person_id, journey_id, step, variant, channel, url, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    l.code,
                    ws.0,
                    l.send_key,
                    l.person.0,
                    l.journey.map(|j| j.0),
                    l.step,
                    l.variant,
                    l.channel.as_str(),
                    l.url,
                    ms(l.created_at)
                ],
            )
            .map_err(db_err)?;
        if inserted == 1 {
            continue;
        }
        // Saved before: the same link again (a retried send), or someone else's code.
        let held: (i64, String, String) = tx
            .cached_row("SELECT workspace_id, send_key, url FROM tracked_links WHERE code = ?1", params![l.code], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(db_err)?;
        if held != (ws.0, l.send_key.clone(), l.url.clone()) {
            return Err(StoreError::AlreadyExists(format!("tracked link {}", l.code)));
        }
    }
    Ok(())
}

fn by_code(c: &Connection, code: &str) -> Result<Option<(WorkspaceId, TrackedLink)>> {
    c.cached_row(
        "SELECT workspace_id, code, send_key, person_id, journey_id, step, variant, channel, url, created_at
         FROM tracked_links WHERE code = ?1",
        params![code],
        |r| {
            let link = TrackedLink {
                code: r.get(1)?,
                send_key: r.get(2)?,
                person: PersonId(r.get::<_, Uuid>(3)?),
                journey: r.get::<_, Option<i64>>(4)?.map(JourneyId),
                step: r.get(5)?,
                variant: r.get(6)?,
                channel: parse::<ChannelKind>(&r.get::<_, String>(7)?)?,
                url: r.get(8)?,
                created_at: time(r.get(9)?),
            };
            Ok((WorkspaceId(r.get(0)?), link))
        },
    )
    .optional()
    .map_err(db_err)
}

/// `(step, people, events)` rows of `sql`.
fn rows(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<(Option<String>, i64, i64)>> {
    let mut stmt = c.prepare_cached(sql).map_err(db_err)?;
    let rows = stmt.query_map(p, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn clicks(c: &Connection, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ClickCounts>> {
    // People reached: `?1` the workspace, `?2` the journey.
    let sent = "FROM outbox x WHERE x.workspace_id = ?1 AND x.journey_id = ?2 AND x.state IN ('sent', 'delivered')";
    let reached = format!("SELECT NULL, COUNT(DISTINCT {NOW_PERSON}), 0 {sent}");
    let reached_by_step =
        format!("SELECT x.step, COUNT(DISTINCT {NOW_PERSON}), 0 {sent} AND x.step IS NOT NULL GROUP BY x.step");
    // Clicks: `?1` the workspace, `?2` the journey as text, `?3` the event.
    let clicked = "FROM events x WHERE x.workspace_id = ?1 AND x.name = ?3
                     AND CAST(json_extract(x.payload, '$.properties.journey_id') AS TEXT) = ?2";
    let step = "CAST(json_extract(x.payload, '$.properties.step') AS TEXT)";
    let clicks = format!("SELECT NULL, COUNT(DISTINCT {NOW_PERSON}), COUNT(*) {clicked}");
    let clicks_by_step =
        format!("SELECT {step}, COUNT(DISTINCT {NOW_PERSON}), COUNT(*) {clicked} AND {step} IS NOT NULL GROUP BY 1");

    let mut by: BTreeMap<Option<String>, ClickCounts> = BTreeMap::new();
    let reach = |sql: &str| rows(c, sql, params![ws.0, journey.0]);
    for (step, people, _) in reach(&reached)?.into_iter().chain(reach(&reached_by_step)?) {
        by.entry(step.clone()).or_insert_with(|| ClickCounts { step, ..ClickCounts::default() }).reached = people;
    }
    let click = |sql: &str| rows(c, sql, params![ws.0, journey.0.to_string(), events::MESSAGE_CLICKED]);
    for (step, people, n) in click(&clicks)?.into_iter().chain(click(&clicks_by_step)?) {
        let row = by.entry(step.clone()).or_insert_with(|| ClickCounts { step, ..ClickCounts::default() });
        (row.clickers, row.clicks) = (people, n);
    }
    // The journey as a whole is always there, first (`None` sorts before every step).
    by.entry(None).or_default();
    Ok(by.into_values().collect())
}

#[async_trait::async_trait]
impl TrackedLinks for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn save_links(&self, ws: WorkspaceId, links: &[TrackedLink]) -> Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        let links = links.to_vec();
        self.write(move |tx| save(tx, ws, &links)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn link_by_code(&self, code: &str) -> Result<Option<(WorkspaceId, TrackedLink)>> {
        let code = code.to_owned();
        self.read(move |c| by_code(c, &code)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_clicks(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ClickCounts>> {
        self.read(move |c| clicks(c, ws, journey)).await
    }
}
