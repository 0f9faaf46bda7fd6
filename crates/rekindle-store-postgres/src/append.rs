//! Appending a batch inside its transaction: lock, de-duplicate, load the people it touches,
//! plan with the core OneID planner, write the plan. One transaction, as in SQLite's append.rs;
//! `event_log.rs` retries it when it races another node.

use std::collections::{HashMap, HashSet};

use rekindle_core::identity::{IdentityPolicy, KnownPerson, lookup_keys, plan_batch};
use rekindle_core::ids::Uuid;
use rekindle_core::{Identifier, Message, PersonId, WorkspaceId};
use rekindle_store::{AppendReport, Source};
use serde_json::{Map, Value};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::PgConnection;

use crate::codec::identifier;
use crate::lock::{Held, lock_batch};
use crate::{sql, write};

/// `None` when the people looked up changed before they were locked: roll back and try again.
pub(crate) async fn append_in(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    messages: &[Message],
    keys: &[Identifier],
    source: &Source,
    policy: &IdentityPolicy,
) -> Result<Option<AppendReport>, Error> {
    let held = lock_batch(conn, ws, keys).await?;
    let stored = stored_ids(conn, ws, messages).await?;
    let fresh = lookup_keys(messages.iter().filter(|m| !stored.contains(&m.message_id)));
    let Some(known) = known_people(conn, ws, &fresh, held).await? else {
        return Ok(None);
    };
    // Every person looked up is loaded whole (three bulk queries), so no bare owners are needed.
    let plan = plan_batch(messages, &stored, known, &HashMap::new(), policy, &mut PersonId::new_v7);
    write::plan(conn, ws, messages, &plan, source).await?;
    Ok(Some(AppendReport::of_plan(&plan)))
}

async fn stored_ids(conn: &mut PgConnection, ws: WorkspaceId, messages: &[Message]) -> Result<HashSet<String>, Error> {
    let ids: Vec<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    let rows = sql("SELECT message_id FROM events WHERE workspace_id = $1 AND message_id = ANY($2)")
        .bind(ws.0)
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// The stored people owning any of `keys`, with their identifiers and traits. Under key locks
/// other appends still run, so their rows are locked (in id order: no deadlock between two
/// appends) and a person merged away since the lookup means the lookup is stale.
async fn known_people(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    keys: &[Identifier],
    held: Held,
) -> Result<Option<Vec<KnownPerson>>, Error> {
    if keys.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let kinds: Vec<&str> = keys.iter().map(|k| k.kind.as_str()).collect();
    let values: Vec<&str> = keys.iter().map(|k| k.value.as_str()).collect();
    let owners: Vec<Uuid> = sql("SELECT DISTINCT i.person_id
                                 FROM UNNEST($2::text[], $3::text[]) AS k(kind, value)
                                 JOIN identities i ON i.workspace_id = $1 AND i.kind = k.kind AND i.value = k.value")
    .bind(ws.0)
    .bind(kinds)
    .bind(values)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    if owners.is_empty() {
        return Ok(Some(Vec::new()));
    }

    let people = match held {
        Held::Keys => sql("SELECT id, merged_into, traits FROM people WHERE id = ANY($1) ORDER BY id FOR UPDATE"),
        Held::Workspace => sql("SELECT id, merged_into, traits FROM people WHERE id = ANY($1)"),
    }
    .bind(&owners)
    .fetch_all(&mut *conn)
    .await?;
    let mut traits: Vec<(Uuid, Map<String, Value>)> = Vec::with_capacity(people.len());
    for row in &people {
        if row.try_get::<Option<Uuid>, _>(1)?.is_some() {
            return Ok(None);
        }
        let Json(t) = row.try_get::<Json<Map<String, Value>>, _>(2)?;
        traits.push((row.try_get(0)?, t));
    }

    let mut identifiers: HashMap<Uuid, Vec<Identifier>> = HashMap::new();
    let rows =
        sql("SELECT person_id, kind, value FROM identities WHERE person_id = ANY($1) ORDER BY person_id, kind, value")
            .bind(&owners)
            .fetch_all(&mut *conn)
            .await?;
    for row in &rows {
        let id = identifier(row.try_get(1)?, row.try_get(2)?)?;
        identifiers.entry(row.try_get(0)?).or_default().push(id);
    }
    Ok(Some(
        traits
            .into_iter()
            .map(|(id, traits)| KnownPerson {
                id: PersonId(id),
                identifiers: identifiers.remove(&id).unwrap_or_default(),
                traits,
            })
            .collect(),
    ))
}
