//! The incremental read of the log: events and merges by id, up to a horizon.

use rekindle_core::WorkspaceId;
use rekindle_store::{Horizon, MergeRecord, Result, StoredEvent};
use rusqlite::params;

use crate::Cached;
use crate::read::{EVENT_COLUMNS, MERGE_COLUMNS, event_row, merge_row};
use crate::{SqliteStore, db_err};

impl SqliteStore {
    /// One writer commits in id order, so the highest committed ids are the horizon.
    pub(crate) async fn horizon_impl(&self, ws: WorkspaceId) -> Result<Horizon> {
        self.read(move |c| {
            c.cached_row(
                // Walk the rowid down from the end (`+workspace_id` keeps SQLite off the
                // workspace indexes, where MAX(id) means reading every entry of the workspace).
                "SELECT COALESCE((SELECT id FROM events WHERE +workspace_id = ?1 ORDER BY id DESC LIMIT 1), 0),
                        COALESCE((SELECT id FROM identity_merges WHERE +workspace_id = ?1 ORDER BY id DESC LIMIT 1), 0)",
                [ws.0],
                |r| Ok(Horizon { event: r.get(0)?, merge: r.get(1)? }),
            )
            .map_err(db_err)
        })
        .await
    }

    pub(crate) async fn events_between_impl(
        &self,
        ws: WorkspaceId,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    // `+workspace_id`: without it SQLite picks the (workspace, time) index and
                    // reads every event of the workspace; the id range is the rowid's.
                    "SELECT {EVENT_COLUMNS} FROM events WHERE id > ?1 AND id <= ?2 AND +workspace_id = ?3
                     ORDER BY id LIMIT ?4"
                ))
                .map_err(db_err)?;
            let rows = stmt.query_map(params![after, upto, ws.0, limit], event_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    pub(crate) async fn merges_between_impl(&self, ws: WorkspaceId, after: i64, upto: i64) -> Result<Vec<MergeRecord>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {MERGE_COLUMNS} FROM identity_merges WHERE id > ?1 AND id <= ?2 AND +workspace_id = ?3
                     ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = stmt.query_map(params![after, upto, ws.0], merge_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }
}
