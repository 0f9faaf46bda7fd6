//! Lifecycle stages as last recorded, and the recorded changes of stage.

use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Result, StageChange, Stages};
use rusqlite::params;

use crate::codec::{ms, parse, time};
use crate::{SqliteStore, db_err};

fn stage(s: Option<String>) -> rusqlite::Result<Option<Stage>> {
    s.map(|s| parse::<Stage>(&s)).transpose()
}

/// A stage change from the row's columns `person_id, from_stage, to_stage, at`, from `first` on.
fn stage_change(r: &rusqlite::Row, first: usize) -> rusqlite::Result<StageChange> {
    Ok(StageChange {
        person: PersonId(r.get(first)?),
        from: stage(r.get(first + 1)?)?,
        to: parse::<Stage>(&r.get::<_, String>(first + 2)?)?,
        at: time(r.get(first + 3)?),
    })
}

#[async_trait::async_trait]
impl Stages for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn stages(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, Stage)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT person_id, stage FROM person_stages WHERE workspace_id = ?1")
                .map_err(db_err)?;
            let rows = stmt
                .query_map([ws.0], |r| Ok((PersonId(r.get(0)?), parse::<Stage>(&r.get::<_, String>(1)?)?)))
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_stage_changes(&self, ws: WorkspaceId, changes: &[StageChange]) -> Result<()> {
        let changes = changes.to_vec();
        self.write(move |tx| {
            let mut set = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO person_stages (workspace_id, person_id, stage, since) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_err)?;
            let mut record = tx
                .prepare_cached(
                    "INSERT INTO stage_changes (workspace_id, person_id, from_stage, to_stage, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(db_err)?;
            for c in &changes {
                set.execute(params![ws.0, c.person.0, c.to.as_str(), ms(c.at)]).map_err(db_err)?;
                record
                    .execute(params![ws.0, c.person.0, c.from.map(Stage::as_str), c.to.as_str(), ms(c.at)])
                    .map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn stage_changes(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<StageChange>> {
        self.read(move |c| {
            let row = |r: &rusqlite::Row| stage_change(r, 0);
            let cols = "person_id, from_stage, to_stage, at";
            let rows = match person {
                Some(p) => c
                    .prepare_cached(&format!(
                        "SELECT {cols} FROM stage_changes WHERE person_id = ?2 AND workspace_id = ?1
                         ORDER BY id DESC LIMIT ?3"
                    ))
                    .and_then(|mut s| s.query_map(params![ws.0, p.0, limit], row)?.collect()),
                None => c
                    .prepare_cached(&format!(
                        "SELECT {cols} FROM stage_changes WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2"
                    ))
                    .and_then(|mut s| s.query_map(params![ws.0, limit], row)?.collect()),
            };
            rows.map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn stage_changes_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> Result<Vec<(i64, StageChange)>> {
        self.feed("SELECT id, person_id, from_stage, to_stage, at FROM stage_changes", ws, after, limit, stage_change)
            .await
    }
}
