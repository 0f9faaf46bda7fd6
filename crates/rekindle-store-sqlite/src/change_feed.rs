//! Recorded segment and stage changes as a feed the journey runner follows by id (see
//! `Segments::membership_changes_after`, `Stages::stage_changes_after`), and the last id of
//! each, where a runner starts (see `Enrollments::change_cursors`). One writer appends to these
//! tables, so ids grow in commit order.

use rekindle_core::WorkspaceId;
use rekindle_store::Result;
use rusqlite::{Connection, params};

use crate::Cached;
use crate::{SqliteStore, db_err};

impl SqliteStore {
    /// The workspace's rows of `select` (id first, then what `change` reads) after `after`.
    pub(crate) async fn feed<T: Send + 'static>(
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
}

/// The workspace's last change in `table` (0 if none), walking the rowid from the end.
pub(crate) fn last_id(c: &Connection, ws: WorkspaceId, table: &str) -> Result<i64> {
    c.cached_row(
        &format!("SELECT COALESCE((SELECT id FROM {table} WHERE +workspace_id = ?1 ORDER BY id DESC LIMIT 1), 0)"),
        [ws.0],
        |r| r.get(0),
    )
    .map_err(db_err)
}
