//! Recorded segment and stage changes as a feed the journey runner follows by id, and where it
//! is in them. One writer appends to these tables, so ids grow in commit order.

use rekindle_core::WorkspaceId;
use rekindle_store::{ChangeCursors, MembershipChange, Result, StageChange};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::segments::{membership_change, stage_change};
use crate::{SqliteStore, db_err};

impl SqliteStore {
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
    async fn feed<T: Send + 'static>(
        &self,
        select: &'static str,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
        change: fn(&rusqlite::Row, usize) -> rusqlite::Result<T>,
    ) -> Result<Vec<(i64, T)>> {
        self.read(move |c| {
            // `+workspace_id`: walk the rowid from the cursor, not a workspace-wide index.
            let mut stmt = c
                .prepare_cached(&format!("{select} WHERE id > ?2 AND +workspace_id = ?1 ORDER BY id LIMIT ?3"))
                .map_err(db_err)?;
            let rows =
                stmt.query_map(params![ws.0, after, limit], |r| Ok((r.get(0)?, change(r, 1)?))).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    pub(crate) async fn change_cursors_impl(&self, ws: WorkspaceId) -> Result<ChangeCursors> {
        self.read(move |c| {
            let stored = c
                .cached_row(
                    "SELECT membership, stages FROM journey_change_cursors WHERE workspace_id = ?1",
                    [ws.0],
                    |r| Ok(ChangeCursors { membership: r.get(0)?, stages: r.get(1)? }),
                )
                .optional()
                .map_err(db_err)?;
            match stored {
                Some(cursors) => Ok(cursors),
                None => Ok(ChangeCursors {
                    membership: last_id(c, ws, "segment_changes")?,
                    stages: last_id(c, ws, "stage_changes")?,
                }),
            }
        })
        .await
    }

    pub(crate) async fn set_change_cursors_impl(&self, ws: WorkspaceId, cursors: ChangeCursors) -> Result<()> {
        self.write(move |tx| {
            tx.cached_execute(
                "INSERT INTO journey_change_cursors (workspace_id, membership, stages) VALUES (?1, ?2, ?3)
                 ON CONFLICT (workspace_id) DO UPDATE
                 SET membership = MAX(membership, excluded.membership), stages = MAX(stages, excluded.stages)",
                params![ws.0, cursors.membership, cursors.stages],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}

/// The workspace's last change in `table` (0 if none), walking the rowid from the end.
fn last_id(c: &Connection, ws: WorkspaceId, table: &str) -> Result<i64> {
    c.cached_row(
        &format!("SELECT COALESCE((SELECT id FROM {table} WHERE +workspace_id = ?1 ORDER BY id DESC LIMIT 1), 0)"),
        [ws.0],
        |r| r.get(0),
    )
    .map_err(db_err)
}
