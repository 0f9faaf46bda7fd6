//! Writing a [`BatchPlan`]. Rows go in by column arrays and `UNNEST`, a statement per table
//! rather than per row: round trips, not rows, are what an append spends its time on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rekindle_core::identity::{BatchPlan, Change, Conflict};
use rekindle_core::ids::Uuid;
use rekindle_core::{Identifier, Message, PersonId, WorkspaceId};
use rekindle_store::Source;
use sqlx_core::error::Error;
use sqlx_core::types::Json;
use sqlx_postgres::PgConnection;

use crate::sql;

/// Apply the plan's changes in order, then its traits, then its events.
pub async fn plan(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    messages: &[Message],
    plan: &BatchPlan,
    source: &Source,
) -> Result<(), Error> {
    let mut rows = Rows::default();
    for (index, change) in &plan.changes {
        let m = &messages[*index];
        match change {
            Change::Created { person } => rows.person(*person, m),
            Change::Linked { person, identifier } => rows.identity(*person, identifier, m),
            Change::Conflict(c) => rows.conflict(c, m),
            Change::Merged { from, into, via } => {
                // A merge moves what this batch gave `from` too: write that first.
                rows.flush(conn, ws, source).await?;
                merge(conn, ws, *from, *into, via, m, source).await?;
            }
        }
    }
    rows.flush(conn, ws, source).await?;
    traits(conn, messages, plan).await?;
    events(conn, ws, messages, plan).await
}

/// New people, identities and conflicts, gathered as columns until the next flush.
#[derive(Default)]
struct Rows<'a> {
    person_ids: Vec<Uuid>,
    person_at: Vec<DateTime<Utc>>,

    ident_kinds: Vec<&'static str>,
    ident_values: Vec<&'a str>,
    ident_people: Vec<Uuid>,
    ident_at: Vec<DateTime<Utc>>,
    ident_messages: Vec<&'a str>,

    conflict_kinds: Vec<&'static str>,
    conflict_people: Vec<Uuid>,
    conflict_others: Vec<Option<Uuid>>,
    conflict_ident_kinds: Vec<&'static str>,
    conflict_ident_values: Vec<&'a str>,
    conflict_limited: Vec<&'static str>,
    conflict_limits: Vec<i64>,
    conflict_messages: Vec<&'a str>,
    conflict_at: Vec<DateTime<Utc>>,
}

impl<'a> Rows<'a> {
    fn person(&mut self, person: PersonId, m: &Message) {
        self.person_ids.push(person.0);
        self.person_at.push(m.received_at);
    }

    fn identity(&mut self, person: PersonId, identifier: &'a Identifier, m: &'a Message) {
        self.ident_kinds.push(identifier.kind.as_str());
        self.ident_values.push(&identifier.value);
        self.ident_people.push(person.0);
        // Linked when the message says it happened (as SQLite's append.rs).
        self.ident_at.push(m.timestamp);
        self.ident_messages.push(&m.message_id);
    }

    fn conflict(&mut self, c: &'a Conflict, m: &'a Message) {
        self.conflict_kinds.push(c.kind.as_str());
        self.conflict_people.push(c.person.0);
        self.conflict_others.push(c.other.map(|o| o.0));
        self.conflict_ident_kinds.push(c.identifier.kind.as_str());
        self.conflict_ident_values.push(&c.identifier.value);
        self.conflict_limited.push(c.limited_kind.as_str());
        self.conflict_limits.push(i64::try_from(c.limit).unwrap_or(i64::MAX));
        self.conflict_messages.push(&m.message_id);
        self.conflict_at.push(m.received_at);
    }

    /// Insert everything gathered, in the order it came, and start empty.
    async fn flush(&mut self, conn: &mut PgConnection, ws: WorkspaceId, source: &Source) -> Result<(), Error> {
        let rows = std::mem::take(self);
        if !rows.person_ids.is_empty() {
            sql("INSERT INTO people (id, workspace_id, created_at, updated_at)
                 SELECT id, $1, at, at FROM UNNEST($2::uuid[], $3::timestamptz[]) AS t(id, at)")
            .bind(ws.0)
            .bind(rows.person_ids)
            .bind(rows.person_at)
            .execute(&mut *conn)
            .await?;
        }
        if !rows.ident_kinds.is_empty() {
            sql("INSERT INTO identities (workspace_id, kind, value, person_id, linked_at, message_id)
                 SELECT $1, kind, value, person_id, linked_at, message_id
                 FROM UNNEST($2::text[], $3::text[], $4::uuid[], $5::timestamptz[], $6::text[])
                     AS t(kind, value, person_id, linked_at, message_id)")
            .bind(ws.0)
            .bind(rows.ident_kinds)
            .bind(rows.ident_values)
            .bind(rows.ident_people)
            .bind(rows.ident_at)
            .bind(rows.ident_messages)
            .execute(&mut *conn)
            .await?;
        }
        if !rows.conflict_kinds.is_empty() {
            sql("INSERT INTO identity_conflicts (workspace_id, kind, person_id, other_person_id, identifier_kind,
                     identifier_value, limited_kind, limit_value, message_id, source, at)
                 SELECT $1, kind, person_id, other_person_id, identifier_kind, identifier_value, limited_kind,
                     limit_value, message_id, $2, at
                 FROM UNNEST($3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::bigint[],
                     $10::text[], $11::timestamptz[])
                     AS t(kind, person_id, other_person_id, identifier_kind, identifier_value, limited_kind,
                     limit_value, message_id, at)")
            .bind(ws.0)
            .bind(&source.0)
            .bind(rows.conflict_kinds)
            .bind(rows.conflict_people)
            .bind(rows.conflict_others)
            .bind(rows.conflict_ident_kinds)
            .bind(rows.conflict_ident_values)
            .bind(rows.conflict_limited)
            .bind(rows.conflict_limits)
            .bind(rows.conflict_messages)
            .bind(rows.conflict_at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// `from` and everyone already merged into it now redirect to `into`, which takes over its
/// identities and events; the merge is recorded. One statement.
async fn merge(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    from: PersonId,
    into: PersonId,
    via: &Identifier,
    m: &Message,
    source: &Source,
) -> Result<(), Error> {
    sql("WITH identities_moved AS (UPDATE identities SET person_id = $3 WHERE person_id = $2),
              events_moved AS (UPDATE events SET person_id = $3 WHERE person_id = $2),
              people_redirected AS (
                  UPDATE people SET merged_into = $3, updated_at = $8 WHERE id = $2 OR merged_into = $2)
         INSERT INTO identity_merges (workspace_id, into_person, from_person, via_kind, via_value, message_id, source, at)
         VALUES ($1, $3, $2, $4, $5, $6, $7, $8)")
    .bind(ws.0)
    .bind(from.0)
    .bind(into.0)
    .bind(via.kind.as_str())
    .bind(&via.value)
    .bind(&m.message_id)
    .bind(&source.0)
    .bind(m.received_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every changed person's traits, whole. `updated_at` moves to the newest of its events here.
async fn traits(conn: &mut PgConnection, messages: &[Message], plan: &BatchPlan) -> Result<(), Error> {
    if plan.traits.is_empty() {
        return Ok(());
    }
    let latest: HashMap<PersonId, DateTime<Utc>> =
        plan.events.iter().map(|e| (e.person, messages[e.index].received_at)).collect();
    let ids: Vec<Uuid> = plan.traits.iter().map(|(p, _)| p.0).collect();
    let traits: Vec<Json<&serde_json::Map<String, serde_json::Value>>> =
        plan.traits.iter().map(|(_, t)| Json(t)).collect();
    let at: Vec<DateTime<Utc>> =
        plan.traits.iter().map(|(p, _)| latest.get(p).copied().unwrap_or(DateTime::UNIX_EPOCH)).collect();
    sql("UPDATE people AS p SET traits = t.traits, updated_at = GREATEST(p.updated_at, t.at)
         FROM UNNEST($1::uuid[], $2::jsonb[], $3::timestamptz[]) AS t(id, traits, at)
         WHERE p.id = t.id")
    .bind(ids)
    .bind(traits)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Each message id is claimed in `event_ids` (the log's de-duplication key, migration 0027) and
/// only an event whose id was new is stored. `ORDER BY n`: ids are given in message order, so a
/// batch's events page in the order sent.
const INSERT_EVENTS: &str = "
    WITH t AS (
        SELECT * FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                             $8::jsonb[])
            WITH ORDINALITY AS t(person_id, message_id, kind, name, ts, received_at, payload, n)
    ), fresh AS (
        INSERT INTO event_ids (workspace_id, message_id) SELECT $1, message_id FROM t
        ON CONFLICT DO NOTHING RETURNING message_id
    )
    INSERT INTO events (workspace_id, person_id, message_id, kind, name, timestamp, received_at, payload)
    SELECT $1, t.person_id, t.message_id, t.kind, t.name, t.ts, t.received_at, t.payload
    FROM t JOIN fresh ON fresh.message_id = t.message_id
    ORDER BY t.n";

/// The batch's new events, in message order.
async fn events(conn: &mut PgConnection, ws: WorkspaceId, messages: &[Message], plan: &BatchPlan) -> Result<(), Error> {
    if plan.events.is_empty() {
        return Ok(());
    }
    let n = plan.events.len();
    let (mut people, mut ids, mut kinds, mut names) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut times, mut received, mut payloads) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for e in &plan.events {
        let m = &messages[e.index];
        people.push(e.person.0);
        ids.push(m.message_id.as_str());
        kinds.push(m.kind.as_str());
        names.push(m.name.as_deref());
        times.push(m.timestamp);
        received.push(m.received_at);
        payloads.push(Json(&m.payload));
    }
    // The plan already skipped stored ids; claiming them again only keeps a bug from storing
    // one twice.
    let done = sql(INSERT_EVENTS)
        .bind(ws.0)
        .bind(people)
        .bind(ids)
        .bind(kinds)
        .bind(names)
        .bind(times)
        .bind(received)
        .bind(payloads)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != n as u64 {
        tracing::warn!(planned = n, stored = done.rows_affected(), "events already stored were planned as new");
    }
    Ok(())
}
