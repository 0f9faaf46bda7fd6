//! People as OneID resolved them: lookups by id or identifier, search, merges and conflicts.
//! Same answers as SQLite's read.rs.

use rekindle_core::ids::Uuid;
use rekindle_core::{Identifier, IdentifierKind, PersonId, WorkspaceId};
use rekindle_store::{ConflictRecord, Identity, MergeRecord, Person, PersonRef, Result};
use serde_json::{Map, Value};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::{PgConnection, PgRow};

use crate::codec::{identifier, parse};
use crate::{PostgresStore, db_err, sql, sql_owned};

/// The person bound to `$2` and everyone merged into them, as `column = {PERSON_AND_MERGED}`.
/// A merge re-points a person's events and identifiers; other rows (enrollments, the outbox,
/// merge records, points) keep the id they were written with and are found through this.
///
/// An array rather than `IN (subquery)`: the array is computed once and the column's index
/// is searched for each id, whatever the statistics say. As a semi-join, a generic plan over a
/// table grown since it was last analyzed hashed every row of the workspace instead.
pub(crate) const PERSON_AND_MERGED: &str =
    "ANY(ARRAY(SELECT $2::uuid UNION ALL SELECT id FROM people WHERE merged_into = $2))";

/// The live person a reference names, in this workspace.
async fn resolve(c: &mut PgConnection, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Uuid>, Error> {
    match who {
        PersonRef::Id(id) => {
            let row = sql("SELECT COALESCE(merged_into, id) FROM people WHERE id = $1 AND workspace_id = $2")
                .bind(id.0)
                .bind(ws.0)
                .fetch_optional(&mut *c)
                .await?;
            row.map(|r| r.try_get(0)).transpose()
        }
        PersonRef::Identifier(ident) => by_identifier(c, ws, ident).await,
    }
}

/// Who holds `$3` as an identifier of kind `$2`: the whole primary key, so its plan is the key
/// whatever the statistics (`plans.rs`).
pub(crate) const OWNER_OF_KIND: &str =
    "SELECT person_id FROM identities WHERE workspace_id = $1 AND kind = $2 AND value = $3";

/// The person holding an identifier, in this workspace.
async fn by_identifier(c: &mut PgConnection, ws: WorkspaceId, ident: &Identifier) -> Result<Option<Uuid>, Error> {
    // The first of the match kinds that holds the value wins, as SQLite tries them in turn.
    // One kind per statement: with `kind = ANY($3)` the generic plan PostgreSQL settles on after
    // five runs leaves `kind` out of the key and scans every identity of the workspace.
    for kind in ident.kind.match_kinds() {
        let row = sql(OWNER_OF_KIND).bind(ws.0).bind(kind.as_str()).bind(&ident.value).fetch_optional(&mut *c).await?;
        if let Some(row) = row {
            return row.try_get(0).map(Some);
        }
    }
    Ok(None)
}

/// Live people whose nickname contains `text`, most recently updated first.
async fn by_nickname(c: &mut PgConnection, ws: WorkspaceId, text: &str, limit: u32) -> Result<Vec<Uuid>, Error> {
    // The text is taken literally: its own wildcards and escapes are escaped. ILIKE, because
    // SQLite's LIKE ignores ASCII case.
    let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let rows = sql("SELECT id FROM people WHERE workspace_id = $1 AND merged_into IS NULL
                    AND traits->>'nickname' ILIKE $2 ESCAPE '\\'
                    ORDER BY updated_at DESC LIMIT $3")
    .bind(ws.0)
    .bind(pattern)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

pub(crate) async fn load_person(c: &mut PgConnection, ws: WorkspaceId, id: Uuid) -> Result<Option<Person>, Error> {
    let Some(row) = sql("SELECT created_at, updated_at, traits FROM people WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await?
    else {
        return Ok(None);
    };
    let Json(traits) = row.try_get::<Json<Map<String, Value>>, _>(2)?;
    let rows = sql("SELECT kind, value, linked_at, message_id FROM identities WHERE person_id = $1
                    ORDER BY linked_at, kind, value")
    .bind(id)
    .fetch_all(&mut *c)
    .await?;
    let mut identities = rows
        .iter()
        .map(|r| {
            Ok(Identity {
                identifier: identifier(r.try_get(0)?, r.try_get(1)?)?,
                linked_at: r.try_get(2)?,
                message_id: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    identities.sort_by_key(|i| (i.identifier.kind, i.linked_at));
    Ok(Some(Person {
        id: PersonId(id),
        workspace: ws,
        created_at: row.try_get(0)?,
        updated_at: row.try_get(1)?,
        traits,
        identities,
    }))
}

pub(crate) fn merge_record(r: &PgRow) -> Result<MergeRecord, Error> {
    Ok(MergeRecord {
        id: r.try_get(0)?,
        into: PersonId(r.try_get(1)?),
        from: PersonId(r.try_get(2)?),
        via: identifier(r.try_get(3)?, r.try_get(4)?)?,
        message_id: r.try_get(5)?,
        source: r.try_get(6)?,
        at: r.try_get(7)?,
    })
}

fn conflict_record(r: &PgRow) -> Result<ConflictRecord, Error> {
    Ok(ConflictRecord {
        id: r.try_get(0)?,
        kind: parse(r.try_get(1)?)?,
        person: PersonId(r.try_get(2)?),
        other: r.try_get::<Option<Uuid>, _>(3)?.map(PersonId),
        identifier: identifier(r.try_get(4)?, r.try_get(5)?)?,
        limited_kind: parse::<IdentifierKind>(r.try_get(6)?)?,
        limit: r.try_get::<i64, _>(7)?.max(0) as u64,
        message_id: r.try_get(8)?,
        source: r.try_get(9)?,
        at: r.try_get(10)?,
    })
}

#[async_trait::async_trait]
impl rekindle_store::People for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person(&self, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Person>> {
        // One connection, so the person and their identities are read back to back.
        let mut c = self.pool.acquire().await.map_err(db_err)?;
        match resolve(&mut c, ws, who).await.map_err(db_err)? {
            Some(id) => load_person(&mut c, ws, id).await.map_err(db_err),
            None => Ok(None),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn merges(&self, ws: WorkspaceId, into: Option<PersonId>, limit: u32) -> Result<Vec<MergeRecord>> {
        let rows = match into {
            Some(p) => sql_owned(format!(
                "SELECT id, into_person, from_person, via_kind, via_value, message_id, source, at
                 FROM identity_merges WHERE workspace_id = $1 AND into_person = {PERSON_AND_MERGED}
                 ORDER BY id DESC LIMIT $3"
            ))
            .bind(ws.0)
            .bind(p.0)
            .bind(i64::from(limit)),
            None => sql("SELECT id, into_person, from_person, via_kind, via_value, message_id, source, at
                         FROM identity_merges WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(ws.0)
            .bind(i64::from(limit)),
        }
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(merge_record).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn conflicts(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<ConflictRecord>> {
        let rows = sql("SELECT id, kind, person_id, other_person_id, identifier_kind, identifier_value, limited_kind,
                               limit_value, message_id, source, at
                        FROM identity_conflicts WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(ws.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(conflict_record).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn search_people(
        &self,
        ws: WorkspaceId,
        identifiers: &[Identifier],
        text: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        let mut c = self.pool.acquire().await.map_err(db_err)?;
        let mut ids: Vec<Uuid> = Vec::new();
        for ident in identifiers {
            if let Some(id) = by_identifier(&mut c, ws, ident).await.map_err(db_err)?
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            for id in by_nickname(&mut c, ws, text, limit).await.map_err(db_err)? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        let mut people = Vec::with_capacity(ids.len());
        for id in ids {
            people.extend(load_person(&mut c, ws, id).await.map_err(db_err)?);
        }
        people.sort_by_key(|p| std::cmp::Reverse(p.updated_at));
        people.truncate(limit as usize);
        Ok(people)
    }
}
