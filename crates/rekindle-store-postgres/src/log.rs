//! The incremental read of the log: events and merges by id, up to a horizon. Same answers as
//! SQLite's log.rs.

use rekindle_core::WorkspaceId;
use rekindle_store::{Horizon, MergeRecord, Result, StoredEvent};
use sqlx_core::row::Row;

use crate::lock::lock_workspace_quiet;
use crate::read::{event, merge_record};
use crate::{PostgresStore, db_err, sql};

impl PostgresStore {
    /// The highest ids once no append to the workspace is in flight (see
    /// [`lock_workspace_quiet`]): appends on any node may commit out of id order.
    pub(crate) async fn horizon_impl(&self, ws: WorkspaceId) -> Result<Horizon> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        lock_workspace_quiet(&mut tx, ws).await.map_err(db_err)?;
        // A statement of its own after the lock, so its snapshot holds every append that ended.
        let row = sql("SELECT (SELECT COALESCE(MAX(id), 0) FROM events WHERE workspace_id = $1),
                              (SELECT COALESCE(MAX(id), 0) FROM identity_merges WHERE workspace_id = $1)")
        .bind(ws.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let horizon = Horizon { event: row.try_get(0).map_err(db_err)?, merge: row.try_get(1).map_err(db_err)? };
        tx.commit().await.map_err(db_err)?;
        Ok(horizon)
    }

    pub(crate) async fn events_between_impl(
        &self,
        ws: WorkspaceId,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>> {
        let rows = sql("SELECT id, person_id, message_id, kind, name, timestamp, received_at, payload FROM events
                        WHERE id > $1 AND id <= $2 AND workspace_id = $3 ORDER BY id LIMIT $4")
        .bind(after)
        .bind(upto)
        .bind(ws.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(event).collect::<Result<_, _>>().map_err(db_err)
    }

    pub(crate) async fn merges_between_impl(&self, ws: WorkspaceId, after: i64, upto: i64) -> Result<Vec<MergeRecord>> {
        let rows = sql("SELECT id, into_person, from_person, via_kind, via_value, message_id, source, at
                        FROM identity_merges WHERE id > $1 AND id <= $2 AND workspace_id = $3 ORDER BY id")
        .bind(after)
        .bind(upto)
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(merge_record).collect::<Result<_, _>>().map_err(db_err)
    }
}
