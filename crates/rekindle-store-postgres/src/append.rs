//! Appending a batch inside its transaction: lock, de-duplicate, look its identifiers up, load
//! the people it may change, plan with the core OneID planner, write the plan. One
//! transaction, as in SQLite's append.rs; `event_log.rs` retries it when it races another node.

use std::collections::{HashMap, HashSet};

use rekindle_core::identity::{IdentityPolicy, KnownPerson, lookup_keys, people_needing_detail, plan_batch};
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
    let owners = owners(conn, ws, &lookup_keys(messages.iter().filter(|m| !stored.contains(&m.message_id)))).await?;
    if held == Held::Keys && !owners_live(conn, &owners).await? {
        return Ok(None);
    }
    // Only the people a message may link, merge or give traits are loaded whole, as in
    // SQLite: a known person's track events cost no loading.
    let known = load_people(conn, people_needing_detail(messages, &stored, &owners)).await?;
    let plan = plan_batch(messages, &stored, known, &owners, policy, &mut PersonId::new_v7);
    write::plan(conn, ws, messages, &plan, source).await?;
    Ok(Some(AppendReport::of_plan(&plan)))
}

async fn stored_ids(conn: &mut PgConnection, ws: WorkspaceId, messages: &[Message]) -> Result<HashSet<String>, Error> {
    let ids: Vec<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    let rows = sql("SELECT message_id FROM event_ids WHERE workspace_id = $1 AND message_id = ANY($2)")
        .bind(ws.0)
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Who holds each of `keys`.
async fn owners(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    keys: &[Identifier],
) -> Result<HashMap<Identifier, PersonId>, Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let kinds: Vec<&str> = keys.iter().map(|k| k.kind.as_str()).collect();
    let values: Vec<&str> = keys.iter().map(|k| k.value.as_str()).collect();
    let rows = sql("SELECT i.kind, i.value, i.person_id
                    FROM UNNEST($2::text[], $3::text[]) AS k(kind, value)
                    JOIN identities i ON i.workspace_id = $1 AND i.kind = k.kind AND i.value = k.value")
    .bind(ws.0)
    .bind(kinds)
    .bind(values)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok((identifier(r.try_get(0)?, r.try_get(1)?)?, PersonId(r.try_get(2)?)))).collect()
}

/// Under key locks other appends run beside this one, so the owners' rows are locked (in id
/// order: no deadlock between two appends); one merged away since the lookup means the lookup
/// is stale. Under the workspace lock nothing else changes them.
async fn owners_live(conn: &mut PgConnection, owners: &HashMap<Identifier, PersonId>) -> Result<bool, Error> {
    let mut ids: Vec<Uuid> = owners.values().map(|p| p.0).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(true);
    }
    let merged: i64 = sql("SELECT count(*) FILTER (WHERE merged_into IS NOT NULL) FROM (
                               SELECT merged_into FROM people WHERE id = ANY($1) ORDER BY id FOR UPDATE) AS locked")
    .bind(&ids)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(merged == 0)
}

/// `people` whole: their identifiers and traits.
async fn load_people(conn: &mut PgConnection, people: HashSet<PersonId>) -> Result<Vec<KnownPerson>, Error> {
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = people.iter().map(|p| p.0).collect();
    let rows = sql("SELECT id, traits FROM people WHERE id = ANY($1)").bind(&ids).fetch_all(&mut *conn).await?;
    let mut traits: Vec<(Uuid, Map<String, Value>)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let Json(t) = row.try_get::<Json<Map<String, Value>>, _>(1)?;
        traits.push((row.try_get(0)?, t));
    }
    let mut identifiers: HashMap<Uuid, Vec<Identifier>> = HashMap::new();
    let rows =
        sql("SELECT person_id, kind, value FROM identities WHERE person_id = ANY($1) ORDER BY person_id, kind, value")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
    for row in &rows {
        let id = identifier(row.try_get(1)?, row.try_get(2)?)?;
        identifiers.entry(row.try_get(0)?).or_default().push(id);
    }
    Ok(traits
        .into_iter()
        .map(|(id, traits)| KnownPerson {
            id: PersonId(id),
            identifiers: identifiers.remove(&id).unwrap_or_default(),
            traits,
        })
        .collect())
}
