//! Recorded segment and stage changes as a feed the journey runner follows by id, and where it
//! is in them. A workspace's changes are written by its one refresh at a time, so within a
//! workspace ids grow in commit order.

use rekindle_core::WorkspaceId;
use rekindle_store::{ChangeCursors, MembershipChange, Result, StageChange};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;

use crate::segments::{membership_change, stage_change};
use crate::{PostgresStore, db_err, sql, sql_owned};

impl PostgresStore {
    pub(crate) async fn membership_changes_after_impl(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, MembershipChange)>> {
        self.feed(
            "SELECT id, segment_id, person_id, entered, at FROM segment_changes",
            ws,
            after,
            limit,
            membership_change,
        )
        .await
    }

    pub(crate) async fn stage_changes_after_impl(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, StageChange)>> {
        self.feed("SELECT id, person_id, from_stage, to_stage, at FROM stage_changes", ws, after, limit, stage_change)
            .await
    }

    /// The workspace's rows of `select` (id first, then what `change` reads) after `after`.
    async fn feed<T>(
        &self,
        select: &'static str,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
        change: fn(&PgRow, usize) -> Result<T, Error>,
    ) -> Result<Vec<(i64, T)>> {
        let rows = sql_owned(format!("{select} WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3"))
            .bind(ws.0)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| Ok((r.try_get(0)?, change(r, 1)?))).collect::<Result<_, Error>>().map_err(db_err)
    }

    pub(crate) async fn change_cursors_impl(&self, ws: WorkspaceId) -> Result<ChangeCursors> {
        // Nothing written down yet: the last changes recorded so far.
        let row = sql("SELECT COALESCE((SELECT membership FROM journey_change_cursors WHERE workspace_id = $1),
                                       (SELECT COALESCE(MAX(id), 0) FROM segment_changes WHERE workspace_id = $1)),
                              COALESCE((SELECT stages FROM journey_change_cursors WHERE workspace_id = $1),
                                       (SELECT COALESCE(MAX(id), 0) FROM stage_changes WHERE workspace_id = $1))")
        .bind(ws.0)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(ChangeCursors { membership: row.try_get(0).map_err(db_err)?, stages: row.try_get(1).map_err(db_err)? })
    }

    pub(crate) async fn set_change_cursors_impl(&self, ws: WorkspaceId, cursors: ChangeCursors) -> Result<()> {
        // Only forward: a node that read less cannot move it back.
        sql("INSERT INTO journey_change_cursors (workspace_id, membership, stages) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE
             SET membership = GREATEST(journey_change_cursors.membership, EXCLUDED.membership),
                 stages = GREATEST(journey_change_cursors.stages, EXCLUDED.stages)")
        .bind(ws.0)
        .bind(cursors.membership)
        .bind(cursors.stages)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
