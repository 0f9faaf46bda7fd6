//! Recorded segment and stage changes as a feed the journey runner follows by id, and where it
//! is in them. One writer appends to these tables, so ids grow in commit order.

use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{ChangeCursors, MembershipChange, Result, StageChange};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::codec::time;
use crate::segments::stage_change;
use crate::{SqliteStore, db_err};

impl SqliteStore {
    pub(crate) async fn membership_changes_after_impl(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, MembershipChange)>> {
        self.read(move |c| {
            // `+workspace_id`: walk the rowid from the cursor, not a workspace-wide index.
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, segment_id, person_id, entered, at FROM segment_changes
                     WHERE id > ?2 AND +workspace_id = ?1 ORDER BY id LIMIT ?3",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, after, limit], |r| {
                    let change = MembershipChange {
                        segment: r.get(1)?,
                        person: PersonId(r.get(2)?),
                        entered: r.get(3)?,
                        at: time(r.get(4)?),
                    };
                    Ok((r.get(0)?, change))
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    pub(crate) async fn stage_changes_after_impl(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, StageChange)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, person_id, from_stage, to_stage, at FROM stage_changes
                     WHERE id > ?2 AND +workspace_id = ?1 ORDER BY id LIMIT ?3",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, after, limit], |r| Ok((r.get(0)?, stage_change(r, 1)?)))
                .map_err(db_err)?;
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
