//! Erasure and export of a person (docs/privacy.md). Same tables, same answers as SQLite's
//! erasure.rs; the erasure holds the workspace's append lock, so no append links one of the
//! person's identifiers while they are being removed.

use std::collections::BTreeMap;

use rekindle_core::ids::Uuid;
use rekindle_core::{Identifier, PersonId, WorkspaceId};
use rekindle_store::{
    ERASED_TEXT, ErasureReport, KEPT_EVENT, PersonExport, Result, StoreError, Traces, anonymous_order, scrub,
};
use serde_json::Value;
use sqlx_core::row::Row;
use sqlx_postgres::PgConnection;

use crate::codec::identifier;
use crate::{PostgresStore, db_err, sql, sql_owned};

/// Tables keyed by a person, with the condition that picks the people's rows (`$1` the
/// workspace, `$2` their ids). Erasure deletes these rows (children first); export reads them.
const PERSON_ROWS: [(&str, &str); 22] = [
    (
        "journey_steps",
        "workspace_id = $1 AND enrollment_id IN (SELECT id FROM enrollments WHERE workspace_id = $1 AND person_id = ANY($2))",
    ),
    ("enrollments", "workspace_id = $1 AND person_id = ANY($2)"),
    ("journey_entry_refusals", "workspace_id = $1 AND person_id = ANY($2)"),
    ("outbox", "workspace_id = $1 AND person_id = ANY($2)"),
    ("coupons", "workspace_id = $1 AND person_id = ANY($2)"),
    ("points_entries", "workspace_id = $1 AND person_id = ANY($2)"),
    ("faq_log", "workspace_id = $1 AND person_id = ANY($2)"),
    ("referral_codes", "workspace_id = $1 AND person_id = ANY($2)"),
    ("tracked_links", "workspace_id = $1 AND person_id = ANY($2)"),
    ("consent", "workspace_id = $1 AND person_id = ANY($2)"),
    ("subscriptions", "workspace_id = $1 AND person_id = ANY($2)"),
    ("person_scores", "workspace_id = $1 AND person_id = ANY($2)"),
    ("person_tags", "workspace_id = $1 AND person_id = ANY($2)"),
    ("person_stages", "workspace_id = $1 AND person_id = ANY($2)"),
    ("stage_changes", "workspace_id = $1 AND person_id = ANY($2)"),
    ("segment_members", "segment_id IN (SELECT id FROM segments WHERE workspace_id = $1) AND person_id = ANY($2)"),
    ("segment_changes", "workspace_id = $1 AND person_id = ANY($2)"),
    ("identity_merges", "workspace_id = $1 AND (into_person = ANY($2) OR from_person = ANY($2))"),
    ("identity_conflicts", "workspace_id = $1 AND (person_id = ANY($2) OR other_person_id = ANY($2))"),
    ("identities", "workspace_id = $1 AND person_id = ANY($2)"),
    ("events", "workspace_id = $1 AND person_id = ANY($2)"),
    ("people", "workspace_id = $1 AND id = ANY($2)"),
];

/// Rows of other tables that name one of the identifiers (`$2`) by value: deleted with the
/// person.
const IDENTIFIER_ROWS: [(&str, &str); 2] = [
    ("outbox", "workspace_id = $1 AND recipient = ANY($2)"),
    ("identity_conflicts", "workspace_id = $1 AND identifier_value = ANY($2)"),
];

/// JSON columns of other people's rows that may name the person's identifiers (a refused
/// link keeps its message and the traits it brought): (table, key, the key's type, column).
/// Scrubbed.
const OTHERS_JSON: [(&str, &str, &str, &str); 2] =
    [("events", "id", "bigint", "payload"), ("people", "id", "uuid", "traits")];

/// The person `person` names (following a merge) and everyone merged into them.
async fn people_of(c: &mut PgConnection, ws: WorkspaceId, person: PersonId) -> Result<Option<Vec<Uuid>>> {
    let survivor = sql("SELECT COALESCE(merged_into, id) FROM people WHERE id = $1 AND workspace_id = $2")
        .bind(person.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    let Some(survivor) = survivor else { return Ok(None) };
    let survivor: Uuid = survivor.try_get(0).map_err(db_err)?;
    let merged = sql("SELECT id FROM people WHERE merged_into = $1 AND workspace_id = $2 ORDER BY id")
        .bind(survivor)
        .bind(ws.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let mut ids = vec![survivor];
    for r in merged {
        ids.push(r.try_get(0).map_err(db_err)?);
    }
    Ok(Some(ids))
}

async fn erase(c: &mut PgConnection, ws: WorkspaceId, person: PersonId) -> Result<ErasureReport> {
    let ids = people_of(c, ws, person).await?.ok_or_else(|| StoreError::NotFound(format!("person {}", person.0)))?;
    let identifiers: Vec<Identifier> =
        sql("SELECT kind, value FROM identities WHERE workspace_id = $1 AND person_id = ANY($2)")
            .bind(ws.0)
            .bind(&ids)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| identifier(r.try_get(0)?, r.try_get(1)?))
            .collect::<Result<_, _>>()
            .map_err(db_err)?;
    let traces = Traces::new(&identifiers);
    let values: Vec<&str> = identifiers.iter().map(|i| i.value.as_str()).collect();
    let mut report = ErasureReport::new(PersonId(ids[0]), ids[1..].iter().copied().map(PersonId).collect());

    // Orders first: kept, anonymised, under nobody's id.
    let orders = sql("SELECT id, message_id, payload::text FROM events
                      WHERE workspace_id = $1 AND person_id = ANY($2) AND kind = 'track' AND name = $3")
    .bind(ws.0)
    .bind(&ids)
    .bind(KEPT_EVENT)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    for row in orders {
        let event: i64 = row.try_get(0).map_err(db_err)?;
        let message_id: String = row.try_get(1).map_err(db_err)?;
        let payload: String = row.try_get(2).map_err(db_err)?;
        let kept = anonymous_order(&serde_json::from_str(&payload).unwrap_or(Value::Null), &traces);
        // The message id stays for de-duplication, unless it gives an identifier away.
        let kept_id = if traces.held_by(&message_id) { format!("erased:{event}") } else { message_id.clone() };
        sql("UPDATE events SET person_id = $1, payload = $2::jsonb, message_id = $3 WHERE id = $4")
            .bind(PersonId::ERASED.0)
            .bind(kept.to_string())
            .bind(&kept_id)
            .bind(event)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
        if kept_id != message_id {
            sql("UPDATE event_ids SET message_id = $3 WHERE workspace_id = $1 AND message_id = $2")
                .bind(ws.0)
                .bind(&message_id)
                .bind(&kept_id)
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
        }
        report.orders_kept += 1;
    }

    // The ids of the events deleted below go with them, as SQLite's go with its rows.
    sql("DELETE FROM event_ids WHERE workspace_id = $1
         AND message_id IN (SELECT message_id FROM events WHERE workspace_id = $1 AND person_id = ANY($2))")
    .bind(ws.0)
    .bind(&ids)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    for (table, condition) in PERSON_ROWS {
        let done = sql_owned(format!("DELETE FROM {table} WHERE {condition}"))
            .bind(ws.0)
            .bind(&ids)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
        report.count_deleted(table, done.rows_affected());
    }
    for (table, condition) in IDENTIFIER_ROWS {
        let done = sql_owned(format!("DELETE FROM {table} WHERE {condition}"))
            .bind(ws.0)
            .bind(&values)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
        report.count_deleted(table, done.rows_affected());
    }

    // What others' rows say about the person: a refused link's message stored under another
    // person and the traits it gave them, an audit entry naming an identifier.
    for v in traces.needles() {
        for (table, key, key_type, json) in OTHERS_JSON {
            let hits = sql_owned(format!(
                "SELECT {key}::text, {json}::text FROM {table} WHERE workspace_id = $1 AND strpos({json}::text, $2) > 0"
            ))
            .bind(ws.0)
            .bind(v)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
            for row in hits {
                let key_value: String = row.try_get(0).map_err(db_err)?;
                let text: String = row.try_get(1).map_err(db_err)?;
                let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                scrub(&mut value, &traces);
                // The key is compared in its own type (bigint, uuid), so its index serves.
                sql_owned(format!("UPDATE {table} SET {json} = $1::jsonb WHERE {key} = CAST($2 AS {key_type})"))
                    .bind(value.to_string())
                    .bind(key_value)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                report.count_scrubbed(table, 1);
            }
        }
        let done = sql("UPDATE audit_log SET target = $3 WHERE workspace_id = $1 AND strpos(target, $2) > 0")
            .bind(ws.0)
            .bind(v)
            .bind(ERASED_TEXT)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
        report.count_scrubbed("audit_log", done.rows_affected());
    }
    Ok(report)
}

async fn export(c: &mut PgConnection, ws: WorkspaceId, person: PersonId) -> Result<PersonExport> {
    let not_found = || StoreError::NotFound(format!("person {}", person.0));
    let ids = people_of(c, ws, person).await?.ok_or_else(not_found)?;
    let mut records: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (table, condition) in PERSON_ROWS.iter().rev() {
        let rows = sql_owned(format!("SELECT to_jsonb(t)::text FROM {table} t WHERE {condition}"))
            .bind(ws.0)
            .bind(&ids)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
        let out = records.entry((*table).to_string()).or_default();
        for r in rows {
            let text: String = r.try_get(0).map_err(db_err)?;
            out.push(serde_json::from_str(&text).map_err(StoreError::backend)?);
        }
    }
    let person = crate::people::load_person(c, ws, ids[0]).await.map_err(db_err)?.ok_or_else(not_found)?;
    Ok(PersonExport { person, merged: ids[1..].iter().copied().map(PersonId).collect(), records })
}

async fn tables_holding(c: &mut PgConnection, needle: &str) -> Result<Vec<String>> {
    // A partitioned table is read through its parent (the events' months, migration 0027).
    let columns = sql("SELECT table_name::text, column_name::text FROM information_schema.columns
                       WHERE table_schema = current_schema()
                         AND table_name NOT IN (SELECT c.relname FROM pg_class c
                                                JOIN pg_namespace n ON n.oid = c.relnamespace
                                                WHERE c.relispartition AND n.nspname = current_schema())
                       ORDER BY table_name, ordinal_position")
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    let mut found = Vec::new();
    for r in columns {
        let table: String = r.try_get(0).map_err(db_err)?;
        let column: String = r.try_get(1).map_err(db_err)?;
        let q = format!(
            "SELECT EXISTS (SELECT 1 FROM \"{}\" WHERE strpos(\"{}\"::text, $1) > 0)",
            table.replace('"', "\"\""),
            column.replace('"', "\"\"")
        );
        let row = sql_owned(q).bind(needle).fetch_one(&mut *c).await.map_err(db_err)?;
        if row.try_get::<bool, _>(0).map_err(db_err)? {
            found.push(format!("{table}.{column}"));
        }
    }
    Ok(found)
}

#[async_trait::async_trait]
impl rekindle_store::Erasure for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn erase_person(&self, ws: WorkspaceId, person: PersonId) -> Result<ErasureReport> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        crate::lock::lock_workspace_quiet(&mut tx, ws).await.map_err(db_err)?;
        let report = erase(&mut tx, ws, person).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(report)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn export_person(&self, ws: WorkspaceId, person: PersonId) -> Result<PersonExport> {
        // One snapshot, so the tables agree with each other.
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await.map_err(db_err)?;
        let export = export(&mut tx, ws, person).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(export)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn tables_holding(&self, needle: &str) -> Result<Vec<String>> {
        let mut c = self.pool.acquire().await.map_err(db_err)?;
        tables_holding(&mut c, needle).await
    }
}
