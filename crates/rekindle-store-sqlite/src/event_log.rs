//! The event log: appending a batch (see `append.rs`), the reads of events and totals, and the
//! incremental read of events and merges by id, up to a horizon.

use chrono::{DateTime, Utc};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::{Message, PersonId, WorkspaceId};
use rekindle_store::{
    AppendReport, Appended, EventLog, EventQuery, Horizon, MergeRecord, Result, Source, StoreError, StoredEvent, Totals,
};
use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter};

use crate::Cached;
use crate::append::append_in;
use crate::codec::{kind, ms, payload, time};
use crate::people::{MERGE_COLUMNS, merge_row};
use crate::{SqliteStore, db_err};

const EVENT_COLUMNS: &str = "id, person_id, message_id, kind, name, timestamp, received_at, payload";

fn event_row(r: &rusqlite::Row) -> rusqlite::Result<StoredEvent> {
    let text: String = r.get(7)?;
    Ok(StoredEvent {
        id: r.get(0)?,
        person: PersonId(r.get(1)?),
        message_id: r.get(2)?,
        kind: kind(&r.get::<_, String>(3)?)?,
        name: r.get(4)?,
        timestamp: time(r.get(5)?),
        received_at: time(r.get(6)?),
        payload: payload(&text),
    })
}

impl SqliteStore {
    /// The one append: with `returning`, also the events it added as they read back
    /// ([`EventLog::append_returning`]), decoded once the writer is let go.
    async fn append_logged(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
        returning: bool,
    ) -> Result<(AppendReport, Option<Appended>)> {
        let (source, policy) = (source.clone(), policy.clone());
        let inner = self.inner.clone();
        self.write_then(
            move |tx| {
                inner.size_cache_for(tx, messages.len())?;
                let written = append_in(tx, ws, &messages, &source, &policy)?;
                Ok((written, messages))
            },
            move |(written, messages)| {
                let appended = returning.then(|| appended(&written.events, &messages)).flatten();
                (written.report, appended)
            },
        )
        .await
    }
}

/// What an append added to the log, as it reads back. Under the one writer a new event's id
/// is one past the largest before it, so these are every event with ids from the first to
/// the last; a gap (never seen) says nothing.
fn appended(events: &[(i64, PersonId, usize)], messages: &[Message]) -> Option<Appended> {
    let (&(first, ..), &(last, ..)) = (events.first()?, events.last()?);
    if last - first + 1 != events.len() as i64 {
        return None;
    }
    let events = events.iter().map(|&(id, person, index)| logged(id, person, &messages[index])).collect();
    Some(Appended { after: first - 1, events })
}

/// An event as [`event_row`] reads it back: times to the millisecond, as they are stored.
fn logged(id: i64, person: PersonId, m: &Message) -> StoredEvent {
    StoredEvent {
        id,
        person,
        message_id: m.message_id.clone(),
        kind: m.kind,
        name: m.name.clone(),
        timestamp: time(ms(m.timestamp)),
        received_at: time(ms(m.received_at)),
        payload: payload(m.payload.get()),
    }
}

#[async_trait::async_trait]
impl EventLog for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn append(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<AppendReport> {
        Ok(self.append_logged(ws, messages, source, policy, false).await?.0)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn append_returning(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<(AppendReport, Option<Appended>)> {
        self.append_logged(ws, messages, source, policy, true).await
    }

    /// Every commit so far on disk, in both files: derived commits did not wait for it
    /// (rekindle_store::durability).
    async fn sync(&self) -> Result<()> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            inner.main.durable(inner.main.last_commit())?;
            inner.runs.durable(inner.runs.last_commit())
        })
        .await
        .map_err(StoreError::backend)?
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn events(&self, ws: WorkspaceId, query: &EventQuery) -> Result<Vec<StoredEvent>> {
        let q = query.clone();
        self.read(move |c| {
            let (sql, args) = events_query(ws, &q);
            let mut stmt = c.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt.query_map(params_from_iter(args), event_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn totals(&self, ws: WorkspaceId) -> Result<Totals> {
        self.read(move |c| {
            let count = |sql: &str| -> Result<u64> {
                c.cached_row(sql, [ws.0], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(db_err)
            };
            Ok(Totals {
                people: count("SELECT COUNT(*) FROM people WHERE workspace_id = ?1 AND merged_into IS NULL")?,
                events: count("SELECT COUNT(*) FROM events WHERE workspace_id = ?1")?,
                identities: count("SELECT COUNT(*) FROM identities WHERE workspace_id = ?1")?,
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn first_seen(&self, ws: WorkspaceId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT MIN(timestamp) AS first FROM events WHERE workspace_id = ?1 AND person_id != ?4
                     GROUP BY person_id HAVING first >= ?2 AND first < ?3",
                )
                .map_err(db_err)?;
            stmt.query_map(params![ws.0, ms(from), ms(to), PersonId::ERASED.0], |r| Ok(time(r.get(0)?)))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)
        })
        .await
    }

    /// One writer commits in id order, so the highest committed ids are the horizon.
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn horizon(&self, ws: WorkspaceId) -> Result<Horizon> {
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn events_between(&self, ws: WorkspaceId, after: i64, upto: i64, limit: u32) -> Result<Vec<StoredEvent>> {
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn merges_between(&self, ws: WorkspaceId, after: i64, upto: i64) -> Result<Vec<MergeRecord>> {
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

/// The SQL and arguments of an [`EventLog::events`] query.
fn events_query(ws: WorkspaceId, q: &EventQuery) -> (String, Vec<Sql>) {
    // One person's events: their (person, time) index, whatever else is asked. The unary `+`
    // keeps SQLite off the (workspace, name, time) index, which it otherwise picks for a name
    // and then walks every event of that name in the store to find the person's few
    // (5.8 ms a read at 100,000 people under load, three reads per person a journey sends to).
    let (workspace, name) = match q.person {
        Some(_) => ("+workspace_id", "+name"),
        None => ("workspace_id", "name"),
    };
    let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE {workspace} = ?");
    let mut args: Vec<Sql> = vec![Sql::Integer(ws.0)];
    if let Some(p) = q.person {
        sql.push_str(" AND person_id = ?");
        args.push(Sql::Blob(p.0.as_bytes().to_vec()));
    }
    if let Some(n) = &q.name {
        sql.push_str(&format!(" AND {name} = ?"));
        args.push(Sql::Text(n.clone()));
    }
    if let Some(k) = q.kind {
        sql.push_str(" AND kind = ?");
        args.push(Sql::Text(k.as_str().into()));
    }
    if let Some(from) = q.from {
        sql.push_str(" AND timestamp >= ?");
        args.push(Sql::Integer(ms(from)));
    }
    if let Some(to) = q.to {
        sql.push_str(" AND timestamp < ?");
        args.push(Sql::Integer(ms(to)));
    }
    if let Some(b) = q.before {
        sql.push_str(" AND (timestamp < ? OR (timestamp = ? AND id < ?))");
        args.extend([Sql::Integer(ms(b.timestamp)), Sql::Integer(ms(b.timestamp)), Sql::Integer(b.id)]);
    }
    sql.push_str(" ORDER BY timestamp DESC, id DESC LIMIT ?");
    args.push(Sql::Integer(i64::from(q.limit)));
    (sql, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite plans for the query: the details of `EXPLAIN QUERY PLAN`.
    async fn plan(store: &SqliteStore, q: EventQuery) -> String {
        store
            .read(move |c| {
                let (sql, args) = events_query(WorkspaceId(1), &q);
                crate::query_plan(c, &sql, params_from_iter(args))
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn one_person_s_events_of_a_name_are_read_by_the_person_s_index() {
        let (store, _dir) = crate::temp_store().await;
        let person = Some(PersonId::new_v7());
        let name = Some("Contact Added".to_owned());
        let theirs = plan(&store, EventQuery { person, name: name.clone(), limit: 20, ..EventQuery::default() }).await;
        assert!(theirs.contains("events_person_time"), "{theirs}");
        // Without a person, the name's index is the right one.
        let everyone = plan(&store, EventQuery { name, limit: 20, ..EventQuery::default() }).await;
        assert!(everyone.contains("events_name_time"), "{everyone}");
    }
}
