//! Appending a batch: de-duplicate, load the people it touches, plan with the core OneID
//! planner, write the plan. One transaction.

use std::collections::{HashMap, HashSet};

use rekindle_core::identity::{
    BatchPlan, Change, IdentityPolicy, KnownPerson, lookup_keys, people_needing_detail, plan_batch,
};
use rekindle_core::ids::Uuid;
use rekindle_core::{Identifier, Message, PersonId, WorkspaceId};
use rekindle_store::{AppendReport, Result, Source, StoreError};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::Cached;
use crate::codec::{identifier, json_map, message_key, ms};
use crate::db_err;

/// What an append wrote: its counts, and each new event's id and person with the position of
/// its message, in id order.
pub(crate) struct Written {
    pub report: AppendReport,
    pub events: Vec<(i64, PersonId, usize)>,
}

/// Append `messages` inside the caller's write transaction.
pub(crate) fn append_in(
    tx: &Transaction,
    ws: WorkspaceId,
    messages: &[Message],
    source: &Source,
    policy: &IdentityPolicy,
) -> Result<Written> {
    let stored = stored_ids(tx, ws, messages)?;
    let owners = owners(tx, ws, messages.iter().filter(|m| !stored.contains(&m.message_id)))?;
    let needed = people_needing_detail(messages, &stored, &owners);
    let known = load_people(tx, needed)?;
    let plan = plan_batch(messages, &stored, known, &owners, policy, &mut PersonId::new_v7);
    let ids = write_plan(tx, ws, messages, &plan, source)?;
    let events = plan.events.iter().zip(ids).map(|(e, id)| (id, e.person, e.index)).collect();
    Ok(Written { report: AppendReport::of_plan(&plan), events })
}

fn stored_ids(tx: &Transaction, ws: WorkspaceId, messages: &[Message]) -> Result<HashSet<String>> {
    let mut stmt = tx
        .prepare_cached("SELECT 1 FROM events WHERE workspace_id = ?1 AND message_key = ?2 AND message_id = ?3")
        .map_err(db_err)?;
    let mut stored = HashSet::new();
    for m in messages {
        if stmt.exists(params![ws.0, message_key(&m.message_id), m.message_id]).map_err(db_err)? {
            stored.insert(m.message_id.clone());
        }
    }
    Ok(stored)
}

/// Who holds each identifier the messages could match.
fn owners<'a>(
    tx: &Transaction,
    ws: WorkspaceId,
    messages: impl IntoIterator<Item = &'a Message>,
) -> Result<HashMap<Identifier, PersonId>> {
    let mut owner = tx
        .prepare_cached("SELECT person_id FROM identities WHERE workspace_id = ?1 AND kind = ?2 AND value = ?3")
        .map_err(db_err)?;
    let mut owners = HashMap::new();
    for key in lookup_keys(messages) {
        let found: Option<Uuid> =
            owner.query_row(params![ws.0, key.kind.as_str(), key.value], |r| r.get(0)).optional().map_err(db_err)?;
        if let Some(p) = found {
            owners.insert(key, PersonId(p));
        }
    }
    Ok(owners)
}

/// The people the batch may change, whole: every identifier and their traits.
fn load_people(tx: &Transaction, people: HashSet<PersonId>) -> Result<Vec<KnownPerson>> {
    let mut idents = tx.prepare_cached("SELECT kind, value FROM identities WHERE person_id = ?1").map_err(db_err)?;
    let mut traits = tx.prepare_cached("SELECT traits FROM people WHERE id = ?1").map_err(db_err)?;
    people
        .into_iter()
        .map(|p| {
            let identifiers = idents
                .query_map([p.0], |r| identifier(&r.get::<_, String>(0)?, r.get(1)?))
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)?;
            let traits: String = traits.query_row([p.0], |r| r.get(0)).map_err(db_err)?;
            Ok(KnownPerson { id: p, identifiers, traits: json_map(&traits)? })
        })
        .collect()
}

fn write_plan(
    tx: &Transaction,
    ws: WorkspaceId,
    messages: &[Message],
    plan: &BatchPlan,
    source: &Source,
) -> Result<Vec<i64>> {
    for (index, change) in &plan.changes {
        let m = &messages[*index];
        let at = ms(m.received_at);
        match change {
            Change::Created { person } => {
                tx.prepare_cached(
                    "INSERT INTO people (id, workspace_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                )
                .and_then(|mut s| s.execute(params![person.0, ws.0, at]))
                .map_err(db_err)?;
            }
            Change::Linked { person, identifier } => {
                tx.prepare_cached(
                    "INSERT INTO identities (workspace_id, kind, value, person_id, linked_at, message_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut s| {
                    // Linked when the message says it happened: an imported history is dated
                    // by its events, not by the import.
                    let linked = ms(m.timestamp);
                    s.execute(params![ws.0, identifier.kind.as_str(), identifier.value, person.0, linked, m.message_id])
                })
                .map_err(db_err)?;
            }
            Change::Merged { from, into, via } => {
                tx.cached_execute("UPDATE identities SET person_id = ?2 WHERE person_id = ?1", params![from.0, into.0])
                    .map_err(db_err)?;
                tx.cached_execute("UPDATE events SET person_id = ?2 WHERE person_id = ?1", params![from.0, into.0])
                    .map_err(db_err)?;
                tx.cached_execute(
                    "UPDATE people SET merged_into = ?2, updated_at = ?3 WHERE id = ?1 OR merged_into = ?1",
                    params![from.0, into.0, at],
                )
                .map_err(db_err)?;
                tx.cached_execute(
                    "INSERT INTO identity_merges (workspace_id, into_person, from_person, via_kind, via_value, message_id, source, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![ws.0, into.0, from.0, via.kind.as_str(), via.value, m.message_id, source.0, at],
                )
                .map_err(db_err)?;
            }
            Change::Conflict(c) => {
                tx.cached_execute(
                    "INSERT INTO identity_conflicts (workspace_id, kind, person_id, other_person_id, identifier_kind,
                        identifier_value, limited_kind, limit_value, message_id, source, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        ws.0,
                        c.kind.as_str(),
                        c.person.0,
                        c.other.map(|o| o.0),
                        c.identifier.kind.as_str(),
                        c.identifier.value,
                        c.limited_kind.as_str(),
                        c.limit.min(i64::MAX as usize) as i64,
                        m.message_id,
                        source.0,
                        at
                    ],
                )
                .map_err(db_err)?;
            }
        }
    }

    let latest: HashMap<PersonId, i64> =
        plan.events.iter().map(|e| (e.person, ms(messages[e.index].received_at))).collect();
    let mut set_traits = tx
        .prepare_cached("UPDATE people SET traits = ?2, updated_at = MAX(updated_at, ?3) WHERE id = ?1")
        .map_err(db_err)?;
    for (person, traits) in &plan.traits {
        let json = serde_json::to_string(traits).map_err(StoreError::backend)?;
        let at = latest.get(person).copied().unwrap_or(0);
        set_traits.execute(params![person.0, json, at]).map_err(db_err)?;
    }

    let mut insert = tx
        .prepare_cached(
            "INSERT INTO events (workspace_id, person_id, message_id, message_key, kind, name, timestamp, received_at, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(db_err)?;
    let mut ids = Vec::with_capacity(plan.events.len());
    for e in &plan.events {
        let m = &messages[e.index];
        insert
            .execute(params![
                ws.0,
                e.person.0,
                m.message_id,
                message_key(&m.message_id),
                m.kind.as_str(),
                m.name,
                ms(m.timestamp),
                ms(m.received_at),
                m.payload.get()
            ])
            .map_err(db_err)?;
        ids.push(tx.last_insert_rowid());
    }
    Ok(ids)
}
