//! Lifecycle stages as last recorded, and the changes that moved people. Same answers as
//! SQLite's segments.rs; changes are written by column arrays, one statement each.

use std::collections::BTreeMap;

use rekindle_core::ids::Uuid;
use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Result, StageChange};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnection, PgRow};

use crate::change_feed::changes_after;
use crate::codec::parse;
use crate::{PostgresStore, db_err, sql};

/// A stage change from the row's columns `person_id, from_stage, to_stage, at`, from `first` on.
fn stage_change(r: &PgRow, first: usize) -> Result<StageChange, Error> {
    Ok(StageChange {
        person: PersonId(r.try_get(first)?),
        from: r.try_get::<Option<&str>, _>(first + 1)?.map(parse::<Stage>).transpose()?,
        to: parse(r.try_get(first + 2)?)?,
        at: r.try_get(first + 3)?,
    })
}

#[async_trait::async_trait]
impl rekindle_store::Stages for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn stages(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, Stage)>> {
        let rows = sql("SELECT person_id, stage FROM person_stages WHERE workspace_id = $1 ORDER BY person_id")
            .bind(ws.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((PersonId(r.try_get(0)?), parse::<Stage>(r.try_get(1)?)?)))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_stage_changes(&self, ws: WorkspaceId, changes: &[StageChange]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        self.seat.fence(&mut tx, ws).await?;
        stages_in(&mut tx, ws, changes).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn stage_changes(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<StageChange>> {
        let rows = match person {
            Some(p) => sql("SELECT person_id, from_stage, to_stage, at FROM stage_changes
                            WHERE person_id = $2 AND workspace_id = $1 ORDER BY id DESC LIMIT $3")
            .bind(ws.0)
            .bind(p.0)
            .bind(i64::from(limit)),
            None => sql("SELECT person_id, from_stage, to_stage, at FROM stage_changes
                         WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(ws.0)
            .bind(i64::from(limit)),
        }
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| stage_change(r, 0)).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn stage_changes_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> Result<Vec<(i64, StageChange)>> {
        changes_after(
            &self.pool,
            "SELECT id, person_id, from_stage, to_stage, at FROM stage_changes",
            ws,
            after,
            limit,
            stage_change,
        )
        .await
    }
}

/// People's new stages and the changes that moved them, inside the caller's transaction.
async fn stages_in(c: &mut PgConnection, ws: WorkspaceId, changes: &[StageChange]) -> Result<(), Error> {
    // The last change of each person decides their stage, as applying them in turn would.
    let last: BTreeMap<Uuid, &StageChange> = changes.iter().map(|x| (x.person.0, x)).collect();
    sql("INSERT INTO person_stages (workspace_id, person_id, stage, since)
         SELECT $1, t.person_id, t.stage, t.since
         FROM UNNEST($2::uuid[], $3::text[], $4::timestamptz[]) AS t(person_id, stage, since)
         ON CONFLICT (workspace_id, person_id) DO UPDATE SET stage = EXCLUDED.stage, since = EXCLUDED.since")
    .bind(ws.0)
    .bind(last.keys().copied().collect::<Vec<_>>())
    .bind(last.values().map(|x| x.to.as_str()).collect::<Vec<_>>())
    .bind(last.values().map(|x| x.at).collect::<Vec<_>>())
    .execute(&mut *c)
    .await?;
    // `ORDER BY n`: ids follow the order given, so newest-first reads them back in reverse.
    sql("INSERT INTO stage_changes (workspace_id, person_id, from_stage, to_stage, at)
         SELECT $1, t.person_id, t.from_stage, t.to_stage, t.at
         FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
              WITH ORDINALITY AS t(person_id, from_stage, to_stage, at, n)
         ORDER BY n")
    .bind(ws.0)
    .bind(changes.iter().map(|x| x.person.0).collect::<Vec<_>>())
    .bind(changes.iter().map(|x| x.from.map(Stage::as_str)).collect::<Vec<Option<&str>>>())
    .bind(changes.iter().map(|x| x.to.as_str()).collect::<Vec<_>>())
    .bind(changes.iter().map(|x| x.at).collect::<Vec<_>>())
    .execute(&mut *c)
    .await?;
    Ok(())
}
