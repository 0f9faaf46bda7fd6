//! The event log: appending (see `append.rs`), reading events back, and the incremental read
//! by id up to a horizon. Same answers as SQLite's read.rs and log.rs.

use chrono::{DateTime, Utc};
use rekindle_core::identity::{IdentityPolicy, lookup_keys};
use rekindle_core::{Message, PersonId, WorkspaceId};
use rekindle_store::{AppendReport, EventQuery, Horizon, MergeRecord, Result, Source, StoreError, StoredEvent, Totals};
use sqlx_core::error::Error;
use sqlx_core::query_builder::QueryBuilder;
use sqlx_core::row::Row;
use sqlx_postgres::{PgRow, Postgres};

use crate::append::append_in;
use crate::appended::NOTIFY_APPENDED;
use crate::codec::parse;
use crate::lock::lock_workspace_quiet;
use crate::people::merge_record;
use crate::{PostgresStore, db_err, sql};

/// Tries of one batch that raced another node (a deadlock, or a person merged away between
/// looking it up and locking it) before giving up.
const ATTEMPTS: u32 = 5;

/// Deadlock or serialization failure: the transaction was sound, only unlucky.
fn is_transient(e: &Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "40P01" || c == "40001")
}

fn event(r: &PgRow) -> Result<StoredEvent, Error> {
    Ok(StoredEvent {
        id: r.try_get(0)?,
        person: PersonId(r.try_get(1)?),
        message_id: r.try_get(2)?,
        kind: parse(r.try_get(3)?)?,
        name: r.try_get(4)?,
        timestamp: r.try_get(5)?,
        received_at: r.try_get(6)?,
        payload: r.try_get(7)?,
    })
}

/// A page of the log by id, read through `events_log` (workspace, id) in order.
pub(crate) const LOG_PAGE: &str = "SELECT id, person_id, message_id, kind, name, timestamp, received_at, payload
    FROM events WHERE id > $1 AND id <= $2 AND workspace_id = $3 ORDER BY id LIMIT $4";

#[async_trait::async_trait]
impl rekindle_store::EventLog for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn append(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<AppendReport> {
        let keys = lookup_keys(&messages);
        self.partitions.ensure(&self.pool, &messages).await.map_err(db_err)?;
        for attempt in 1..=ATTEMPTS {
            let mut tx = self.pool.begin().await.map_err(db_err)?;
            match append_in(&mut tx, ws, &messages, &keys, source, policy).await {
                Ok(Some(report)) => {
                    if report.stored + report.merges > 0 {
                        // Delivered to every node's listener when this commits (lib.rs).
                        sql(NOTIFY_APPENDED).bind(self.seat.nonce()).execute(&mut *tx).await.map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)?;
                    return Ok(report);
                }
                Ok(None) => tracing::debug!(attempt, "append raced a merge; retrying"),
                Err(e) if is_transient(&e) => {
                    tracing::debug!(attempt, error = %e, "append raced; retrying")
                }
                Err(e) => return Err(db_err(e)),
            }
            tx.rollback().await.map_err(db_err)?;
        }
        Err(StoreError::backend(std::io::Error::other(format!(
            "append gave up after {ATTEMPTS} tries racing other writers"
        ))))
    }

    /// Nothing to do: every commit here waits for the disk (`synchronous_commit` is left on),
    /// derived ones too.
    async fn sync(&self) -> Result<()> {
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn events(&self, ws: WorkspaceId, q: &EventQuery) -> Result<Vec<StoredEvent>> {
        let mut b = QueryBuilder::<Postgres>::new(
            "SELECT id, person_id, message_id, kind, name, timestamp, received_at, payload FROM events WHERE workspace_id = ",
        );
        b.push_bind(ws.0);
        if let Some(p) = q.person {
            b.push(" AND person_id = ").push_bind(p.0);
        }
        if let Some(n) = &q.name {
            b.push(" AND name = ").push_bind(n.as_str());
        }
        if let Some(k) = q.kind {
            b.push(" AND kind = ").push_bind(k.as_str());
        }
        if let Some(from) = q.from {
            b.push(" AND timestamp >= ").push_bind(from);
        }
        if let Some(to) = q.to {
            b.push(" AND timestamp < ").push_bind(to);
        }
        if let Some(before) = q.before {
            b.push(" AND (timestamp, id) < (").push_bind(before.timestamp).push(", ").push_bind(before.id).push(")");
        }
        b.push(" ORDER BY timestamp DESC, id DESC LIMIT ").push_bind(i64::from(q.limit));
        let rows = b.build().fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(event).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn totals(&self, ws: WorkspaceId) -> Result<Totals> {
        let row = sql("SELECT (SELECT COUNT(*) FROM people WHERE workspace_id = $1 AND merged_into IS NULL),
                              (SELECT COUNT(*) FROM events WHERE workspace_id = $1),
                              (SELECT COUNT(*) FROM identities WHERE workspace_id = $1)")
        .bind(ws.0)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let count = |i: usize| row.try_get::<i64, _>(i).map(|n| n.max(0) as u64).map_err(db_err);
        Ok(Totals { people: count(0)?, events: count(1)?, identities: count(2)? })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn first_seen(&self, ws: WorkspaceId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
        let rows = sql("SELECT MIN(timestamp) FROM events WHERE workspace_id = $1 AND person_id <> $4
                        GROUP BY person_id HAVING MIN(timestamp) >= $2 AND MIN(timestamp) < $3")
        .bind(ws.0)
        .bind(from)
        .bind(to)
        .bind(PersonId::ERASED.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>().map_err(db_err)
    }

    /// The highest ids once no append to the workspace is in flight (see
    /// [`lock_workspace_quiet`]): appends on any node may commit out of id order.
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn horizon(&self, ws: WorkspaceId) -> Result<Horizon> {
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn events_between(&self, ws: WorkspaceId, after: i64, upto: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        let rows = sql(LOG_PAGE)
            .bind(after)
            .bind(upto)
            .bind(ws.0)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(event).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn merges_between(&self, ws: WorkspaceId, after: i64, upto: i64) -> Result<Vec<MergeRecord>> {
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
