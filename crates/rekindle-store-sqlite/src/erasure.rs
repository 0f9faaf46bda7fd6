//! Erasure and export of a person (docs/privacy.md): every table keyed by a person, decided
//! once here for both. Same answers as PostgreSQL's erasure.rs.

use std::collections::BTreeMap;

use rekindle_core::ids::Uuid;
use rekindle_core::{Identifier, PersonId, WorkspaceId};
use rekindle_store::{
    ERASED_TEXT, ErasureReport, KEPT_EVENT, PersonExport, Result, StoreError, Traces, anonymous_order, scrub,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::codec::{self, identifier, message_key, time};
use crate::{Cached, SqliteStore, db_err};

/// Tables keyed by a person, with the condition that picks the person's rows (`?1` the
/// workspace, `?2` one person id). Erasure deletes these rows (children first); export reads
/// them.
const PERSON_ROWS: [(&str, &str); 22] = [
    (
        "journey_steps",
        "workspace_id = ?1 AND enrollment_id IN (SELECT id FROM enrollments WHERE workspace_id = ?1 AND person_id = ?2)",
    ),
    ("enrollments", "workspace_id = ?1 AND person_id = ?2"),
    ("journey_entry_refusals", "workspace_id = ?1 AND person_id = ?2"),
    ("outbox", "workspace_id = ?1 AND person_id = ?2"),
    ("coupons", "workspace_id = ?1 AND person_id = ?2"),
    ("points_entries", "workspace_id = ?1 AND person_id = ?2"),
    ("faq_log", "workspace_id = ?1 AND person_id = ?2"),
    ("referral_codes", "workspace_id = ?1 AND person_id = ?2"),
    ("tracked_links", "workspace_id = ?1 AND person_id = ?2"),
    ("consent", "workspace_id = ?1 AND person_id = ?2"),
    ("subscriptions", "workspace_id = ?1 AND person_id = ?2"),
    ("person_scores", "workspace_id = ?1 AND person_id = ?2"),
    ("person_tags", "workspace_id = ?1 AND person_id = ?2"),
    ("person_stages", "workspace_id = ?1 AND person_id = ?2"),
    ("stage_changes", "workspace_id = ?1 AND person_id = ?2"),
    ("segment_members", "segment_id IN (SELECT id FROM segments WHERE workspace_id = ?1) AND person_id = ?2"),
    ("segment_changes", "workspace_id = ?1 AND person_id = ?2"),
    ("identity_merges", "workspace_id = ?1 AND (into_person = ?2 OR from_person = ?2)"),
    ("identity_conflicts", "workspace_id = ?1 AND (person_id = ?2 OR other_person_id = ?2)"),
    ("identities", "workspace_id = ?1 AND person_id = ?2"),
    ("events", "workspace_id = ?1 AND person_id = ?2"),
    ("people", "workspace_id = ?1 AND id = ?2"),
];

/// Rows of other tables that name an identifier by value (`?1` the workspace, `?2` the
/// value): deleted with the person.
const IDENTIFIER_ROWS: [(&str, &str); 2] = [
    ("outbox", "workspace_id = ?1 AND recipient = ?2"),
    ("identity_conflicts", "workspace_id = ?1 AND identifier_value = ?2"),
];

/// JSON columns of other people's rows that may name the person's identifiers (a refused
/// link keeps its message and the traits it brought): (table, key, column). Scrubbed.
const OTHERS_JSON: [(&str, &str, &str); 2] = [("events", "id", "payload"), ("people", "id", "traits")];

/// Integer columns that hold times (ms since the epoch), exported as RFC 3339.
const TIME_COLUMNS: [&str; 19] = [
    "at",
    "since",
    "as_of",
    "timestamp",
    "received_at",
    "created_at",
    "updated_at",
    "linked_at",
    "entered_at",
    "converted_at",
    "wake_at",
    "not_before",
    "lease_until",
    "sent_at",
    "delivered_at",
    "issued_at",
    "expires_at",
    "redeemed_at",
    "confirmed_at",
];

/// Text columns that hold JSON, exported as JSON.
const JSON_COLUMNS: [&str; 5] = ["traits", "payload", "scores", "context", "detail"];

/// The person `person` names (following a merge) and everyone merged into them; `None` when
/// the workspace has no such person.
fn people_of(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Option<Vec<Uuid>>> {
    let survivor: Option<Uuid> = c
        .cached_row(
            "SELECT COALESCE(merged_into, id) FROM people WHERE id = ?1 AND workspace_id = ?2",
            params![person.0, ws.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    let Some(survivor) = survivor else { return Ok(None) };
    let mut stmt =
        c.prepare_cached("SELECT id FROM people WHERE merged_into = ?1 AND workspace_id = ?2").map_err(db_err)?;
    let merged = stmt.query_map(params![survivor, ws.0], |r| r.get(0)).map_err(db_err)?;
    let mut ids = vec![survivor];
    for id in merged {
        ids.push(id.map_err(db_err)?);
    }
    Ok(Some(ids))
}

/// The identifiers the people hold.
fn identifiers(c: &Connection, ws: WorkspaceId, ids: &[Uuid]) -> Result<Vec<Identifier>> {
    let mut stmt = c
        .prepare_cached("SELECT kind, value FROM identities WHERE workspace_id = ?1 AND person_id = ?2")
        .map_err(db_err)?;
    let mut found = Vec::new();
    for id in ids {
        let rows =
            stmt.query_map(params![ws.0, id], |r| identifier(&r.get::<_, String>(0)?, r.get(1)?)).map_err(db_err)?;
        for i in rows {
            found.push(i.map_err(db_err)?);
        }
    }
    Ok(found)
}

fn erase(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<ErasureReport> {
    let ids = people_of(c, ws, person)?.ok_or_else(|| StoreError::NotFound(format!("person {}", person.0)))?;
    let identifiers = identifiers(c, ws, &ids)?;
    let traces = Traces::new(&identifiers);
    let mut report = ErasureReport::new(PersonId(ids[0]), ids[1..].iter().copied().map(PersonId).collect());

    // Orders first: kept, anonymised, under nobody's id.
    for id in &ids {
        let mut stmt = c
            .prepare_cached(
                "SELECT id, message_id, payload FROM events
                 WHERE workspace_id = ?1 AND person_id = ?2 AND kind = 'track' AND name = ?3",
            )
            .map_err(db_err)?;
        let orders = stmt
            .query_map(params![ws.0, id, KEPT_EVENT], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })
            .map_err(db_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db_err)?;
        for (event, message_id, payload) in orders {
            let payload = codec::payload(&payload);
            let kept = anonymous_order(&payload, &traces);
            // The message id stays for de-duplication, unless it gives an identifier away.
            let message_id = if traces.held_by(&message_id) { format!("erased:{event}") } else { message_id };
            c.cached_execute(
                "UPDATE events SET person_id = ?1, payload = ?2, message_id = ?3, message_key = ?4 WHERE id = ?5",
                params![PersonId::ERASED.0, kept.to_string(), message_id, message_key(&message_id), event],
            )
            .map_err(db_err)?;
            report.orders_kept += 1;
        }
    }

    for (table, condition) in PERSON_ROWS {
        for id in &ids {
            let n = c.execute(&format!("DELETE FROM {table} WHERE {condition}"), params![ws.0, id]).map_err(db_err)?;
            report.count_deleted(table, n as u64);
        }
    }
    for (table, condition) in IDENTIFIER_ROWS {
        for i in &identifiers {
            let n =
                c.execute(&format!("DELETE FROM {table} WHERE {condition}"), params![ws.0, i.value]).map_err(db_err)?;
            report.count_deleted(table, n as u64);
        }
    }

    // What others' rows say about the person: a refused link's message stored under another
    // person and the traits it gave them, an audit entry naming an identifier.
    for v in traces.needles() {
        for (table, key, json) in OTHERS_JSON {
            let select = format!("SELECT {key}, {json} FROM {table} WHERE workspace_id = ?1 AND instr({json}, ?2) > 0");
            let mut stmt = c.prepare_cached(&select).map_err(db_err)?;
            let hits = stmt
                .query_map(params![ws.0, v], |r| Ok((r.get::<_, rusqlite::types::Value>(0)?, r.get::<_, String>(1)?)))
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)?;
            for (row, text) in hits {
                let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                scrub(&mut value, &traces);
                let update = format!("UPDATE {table} SET {json} = ?1 WHERE {key} = ?2");
                c.cached_execute(&update, params![value.to_string(), row]).map_err(db_err)?;
                report.count_scrubbed(table, 1);
            }
        }
        let n = c
            .cached_execute(
                "UPDATE audit_log SET target = ?3 WHERE workspace_id = ?1 AND instr(target, ?2) > 0",
                params![ws.0, v, ERASED_TEXT],
            )
            .map_err(db_err)?;
        report.count_scrubbed("audit_log", n as u64);
    }
    Ok(report)
}

fn export(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<PersonExport> {
    let not_found = || StoreError::NotFound(format!("person {}", person.0));
    let ids = people_of(c, ws, person)?.ok_or_else(not_found)?;
    let mut records: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (table, condition) in PERSON_ROWS.iter().rev() {
        let mut stmt = c.prepare(&format!("SELECT * FROM {table} WHERE {condition}")).map_err(db_err)?;
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let rows = records.entry((*table).to_string()).or_default();
        for id in &ids {
            let mut found = stmt.query(params![ws.0, id]).map_err(db_err)?;
            while let Some(row) = found.next().map_err(db_err)? {
                let mut object = serde_json::Map::new();
                for (i, name) in names.iter().enumerate() {
                    if name == "message_key" {
                        continue;
                    }
                    object.insert(name.clone(), column(name, row.get_ref(i).map_err(db_err)?));
                }
                rows.push(Value::Object(object));
            }
        }
    }
    let person = crate::people::load_person(c, ws, ids[0])?.ok_or_else(not_found)?;
    Ok(PersonExport { person, merged: ids[1..].iter().copied().map(PersonId).collect(), records })
}

/// One column as JSON: person ids as UUIDs, times as RFC 3339, JSON columns as JSON.
fn column(name: &str, value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) if TIME_COLUMNS.contains(&name) => Value::String(time(n).to_rfc3339()),
        ValueRef::Integer(n) => Value::from(n),
        ValueRef::Real(x) => Value::from(x),
        ValueRef::Text(t) => {
            let text = String::from_utf8_lossy(t).into_owned();
            if JSON_COLUMNS.contains(&name) {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            } else {
                Value::String(text)
            }
        }
        ValueRef::Blob(b) => match Uuid::from_slice(b) {
            Ok(id) => Value::String(id.to_string()),
            Err(_) => Value::Null,
        },
    }
}

fn tables_holding(c: &Connection, needle: &str) -> Result<Vec<String>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             UNION SELECT name FROM {}.sqlite_master WHERE type = 'table' ORDER BY name",
            crate::files::RUNS
        ))
        .map_err(db_err)?;
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    let mut found = Vec::new();
    for table in tables {
        let mut info = c.prepare("SELECT name FROM pragma_table_info(?1)").map_err(db_err)?;
        let columns = info
            .query_map([&table], |r| r.get::<_, String>(0))
            .map_err(db_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db_err)?;
        for col in columns {
            let sql = format!("SELECT EXISTS (SELECT 1 FROM \"{table}\" WHERE instr(CAST(\"{col}\" AS TEXT), ?1) > 0)");
            if c.query_row(&sql, [needle], |r| r.get::<_, bool>(0)).map_err(db_err)? {
                found.push(format!("{table}.{col}"));
            }
        }
    }
    Ok(found)
}

#[async_trait::async_trait]
impl rekindle_store::Erasure for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn erase_person(&self, ws: WorkspaceId, person: PersonId) -> Result<ErasureReport> {
        self.write_both(move |tx| erase(tx, ws, person)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn export_person(&self, ws: WorkspaceId, person: PersonId) -> Result<PersonExport> {
        self.read(move |c| export(c, ws, person)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn tables_holding(&self, needle: &str) -> Result<Vec<String>> {
        let needle = needle.to_string();
        self.read(move |c| tables_holding(c, &needle)).await
    }
}
