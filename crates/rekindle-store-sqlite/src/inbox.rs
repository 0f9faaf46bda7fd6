//! The ingestion inbox in its own database file (see `rekindle_store::Inbox`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rekindle_core::{Message, WorkspaceId};
use rekindle_store::{Inbox, InboxBatch, InboxSeq, Result, Source, StoreError};
use rusqlite::{Connection, params};

use crate::Cached;
use crate::codec::{kind, ms, time};
use crate::{db_err, migrate};

/// File name of the inbox inside the data dir.
pub const INBOX_FILE: &str = "inbox.db";

pub struct SqliteInbox {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteInbox {
    pub(crate) fn open_blocking(data_dir: &Path) -> Result<Self> {
        let mut conn = crate::connect(&data_dir.join(INBOX_FILE)).map_err(StoreError::backend)?;
        migrate::run(&mut conn, migrate::INBOX).map_err(StoreError::backend)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn with<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || f(&mut conn.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(StoreError::backend)?
    }
}

#[async_trait::async_trait]
impl Inbox for SqliteInbox {
    async fn push(&self, batches: &[InboxBatch]) -> Result<InboxSeq> {
        // The rows are made here, on the caller's thread, so the messages need not be cloned.
        let rows: Vec<Row> = batches
            .iter()
            .flat_map(|b| {
                b.messages.iter().map(|m| Row {
                    ws: b.ws.0,
                    source: b.source.0.clone(),
                    kind: m.kind.as_str(),
                    timestamp: ms(m.timestamp),
                    received_at: ms(m.received_at),
                    payload: m.payload.get().to_owned(),
                })
            })
            .collect();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO inbox (workspace_id, source, kind, timestamp, received_at, payload)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(db_err)?;
                for r in &rows {
                    insert
                        .execute(params![r.ws, r.source, r.kind, r.timestamp, r.received_at, r.payload])
                        .map_err(db_err)?;
                }
            }
            let last: i64 = tx
                .cached_row("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'inbox'), 0)", [], |r| {
                    r.get(0)
                })
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            Ok(last as InboxSeq)
        })
        .await
    }

    async fn pending(&self) -> Result<Vec<(InboxSeq, InboxBatch)>> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT seq, workspace_id, source, kind, timestamp, received_at, payload FROM inbox ORDER BY seq",
                )
                .map_err(db_err)?;
            let mut rows = stmt.query([]).map_err(db_err)?;
            let mut out: Vec<(InboxSeq, InboxBatch)> = Vec::new();
            while let Some(r) = rows.next().map_err(db_err)? {
                let seq = r.get::<_, i64>(0).map_err(db_err)? as InboxSeq;
                let ws = WorkspaceId(r.get(1).map_err(db_err)?);
                let source = Source(r.get(2).map_err(db_err)?);
                let kind = kind(&r.get::<_, String>(3).map_err(db_err)?).map_err(db_err)?;
                let payload: String = r.get(6).map_err(db_err)?;
                let message =
                    Message::restore(&payload, kind, time(r.get(4).map_err(db_err)?), time(r.get(5).map_err(db_err)?))
                        .map_err(|e| {
                            StoreError::Backend(format!("inbox message {seq} no longer parses: {e}").into())
                        })?;
                match out.last_mut() {
                    Some((last, batch)) if batch.ws == ws && batch.source == source => {
                        *last = seq;
                        batch.messages.push(message);
                    }
                    _ => out.push((seq, InboxBatch { ws, source, messages: vec![message] })),
                }
            }
            Ok(out)
        })
        .await
    }

    async fn release(&self, upto: InboxSeq) -> Result<()> {
        self.with(move |conn| {
            conn.cached_execute("DELETE FROM inbox WHERE seq <= ?1", [upto as i64]).map_err(db_err)?;
            Ok(())
        })
        .await
    }
}

struct Row {
    ws: i64,
    source: String,
    kind: &'static str,
    timestamp: i64,
    received_at: i64,
    payload: String,
}

#[cfg(test)]
mod tests;
