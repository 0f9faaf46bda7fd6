//! People as OneID resolved them: one person, search, merges and conflicts.

use rekindle_core::ids::Uuid;
use rekindle_core::{Identifier, IdentifierKind, PersonId, WorkspaceId};
use rekindle_store::{ConflictRecord, Identity, MergeRecord, People, Person, PersonRef, Result};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::Cached;
use crate::codec::{identifier, json_map, parse, time};
use crate::{SqliteStore, db_err};

/// The person bound to `?2` and everyone merged into them. A merge re-points a person's events
/// and identifiers; other rows (enrollments, the outbox, merge records) keep the id they were
/// written with and are found through this.
pub(crate) const PERSON_AND_MERGED: &str = "(SELECT ?2 UNION ALL SELECT id FROM people WHERE merged_into = ?2)";

pub(crate) const MERGE_COLUMNS: &str = "id, into_person, from_person, via_kind, via_value, message_id, source, at";

pub(crate) fn merge_row(r: &rusqlite::Row) -> rusqlite::Result<MergeRecord> {
    Ok(MergeRecord {
        id: r.get(0)?,
        into: PersonId(r.get(1)?),
        from: PersonId(r.get(2)?),
        via: identifier(&r.get::<_, String>(3)?, r.get(4)?)?,
        message_id: r.get(5)?,
        source: r.get(6)?,
        at: time(r.get(7)?),
    })
}

/// The live person a reference names, in this workspace.
fn resolve(c: &Connection, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Uuid>> {
    match who {
        PersonRef::Id(id) => c
            .cached_row(
                "SELECT COALESCE(merged_into, id) FROM people WHERE id = ?1 AND workspace_id = ?2",
                params![id.0, ws.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err),
        PersonRef::Identifier(ident) => {
            let mut stmt = c
                .prepare_cached("SELECT person_id FROM identities WHERE workspace_id = ?1 AND kind = ?2 AND value = ?3")
                .map_err(db_err)?;
            for k in ident.kind.match_kinds() {
                let found =
                    stmt.query_row(params![ws.0, k.as_str(), ident.value], |r| r.get(0)).optional().map_err(db_err)?;
                if found.is_some() {
                    return Ok(found);
                }
            }
            Ok(None)
        }
    }
}

pub(crate) fn load_person(c: &Connection, ws: WorkspaceId, id: Uuid) -> Result<Option<Person>> {
    let row = c
        .cached_row(
            "SELECT created_at, updated_at, traits FROM people WHERE id = ?1 AND workspace_id = ?2",
            params![id, ws.0],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
        )
        .optional()
        .map_err(db_err)?;
    let Some((created, updated, traits)) = row else { return Ok(None) };
    let mut stmt = c
        .prepare_cached(
            "SELECT kind, value, linked_at, message_id FROM identities WHERE person_id = ?1 ORDER BY linked_at, kind, value",
        )
        .map_err(db_err)?;
    let mut identities = stmt
        .query_map([id], |r| {
            Ok(Identity {
                identifier: identifier(&r.get::<_, String>(0)?, r.get(1)?)?,
                linked_at: time(r.get(2)?),
                message_id: r.get(3)?,
            })
        })
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    identities.sort_by_key(|i| (i.identifier.kind, i.linked_at));
    Ok(Some(Person {
        id: PersonId(id),
        workspace: ws,
        created_at: time(created),
        updated_at: time(updated),
        traits: json_map(&traits)?,
        identities,
    }))
}

#[async_trait::async_trait]
impl People for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person(&self, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Person>> {
        let who = who.clone();
        self.read(move |c| match resolve(c, ws, &who)? {
            Some(id) => load_person(c, ws, id),
            None => Ok(None),
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn merges(&self, ws: WorkspaceId, into: Option<PersonId>, limit: u32) -> Result<Vec<MergeRecord>> {
        self.read(move |c| {
            let cols = MERGE_COLUMNS;
            let (sql, args): (String, Vec<Sql>) = match into {
                Some(p) => (
                    format!(
                        "SELECT {cols} FROM identity_merges WHERE workspace_id = ?1 AND into_person IN {PERSON_AND_MERGED}
                         ORDER BY id DESC LIMIT ?3"
                    ),
                    vec![Sql::Integer(ws.0), Sql::Blob(p.0.as_bytes().to_vec()), Sql::Integer(limit.into())],
                ),
                None => (
                    format!("SELECT {cols} FROM identity_merges WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2"),
                    vec![Sql::Integer(ws.0), Sql::Integer(limit.into())],
                ),
            };
            let mut stmt = c.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt.query_map(params_from_iter(args), merge_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn conflicts(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<ConflictRecord>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, kind, person_id, other_person_id, identifier_kind, identifier_value, limited_kind,
                            limit_value, message_id, source, at
                     FROM identity_conflicts WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, limit], |r| {
                    Ok(ConflictRecord {
                        id: r.get(0)?,
                        kind: parse(&r.get::<_, String>(1)?)?,
                        person: PersonId(r.get(2)?),
                        other: r.get::<_, Option<Uuid>>(3)?.map(PersonId),
                        identifier: identifier(&r.get::<_, String>(4)?, r.get(5)?)?,
                        limited_kind: parse::<IdentifierKind>(&r.get::<_, String>(6)?)?,
                        limit: r.get::<_, i64>(7)? as u64,
                        message_id: r.get(8)?,
                        source: r.get(9)?,
                        at: time(r.get(10)?),
                    })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn search_people(
        &self,
        ws: WorkspaceId,
        identifiers: &[Identifier],
        text: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let (identifiers, text) = (identifiers.to_vec(), text.map(str::to_owned));
        self.read(move |c| {
            let mut ids: Vec<Uuid> = Vec::new();
            for ident in &identifiers {
                if let Some(id) = resolve(c, ws, &PersonRef::Identifier(ident.clone()))?
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                let mut stmt = c
                    .prepare_cached(
                        "SELECT id FROM people WHERE workspace_id = ?1 AND merged_into IS NULL
                         AND json_extract(traits, '$.nickname') LIKE ?2 ESCAPE '\\'
                         ORDER BY updated_at DESC LIMIT ?3",
                    )
                    .map_err(db_err)?;
                let found = stmt.query_map(params![ws.0, pattern, limit], |r| r.get::<_, Uuid>(0)).map_err(db_err)?;
                for id in found {
                    let id = id.map_err(db_err)?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
            let mut people = Vec::with_capacity(ids.len());
            for id in ids {
                people.extend(load_person(c, ws, id)?);
            }
            people.sort_by_key(|p| std::cmp::Reverse(p.updated_at));
            people.truncate(limit as usize);
            Ok(people)
        })
        .await
    }
}
