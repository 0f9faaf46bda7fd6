//! Journey drafts and their published versions.

use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Journey, JourneyStatus, JourneyVersion, Journeys, Result, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::accounts::unique_violation;
use crate::codec::{ms, time};
use crate::{SqliteStore, db_err};

const JOURNEY_COLUMNS: &str = "id, name, status, draft, version, created_at, updated_at";

/// A journey row before its JSON and status are parsed.
type JourneyRow = (i64, String, String, String, Option<i32>, i64, i64);

fn journey_row(r: &rusqlite::Row) -> rusqlite::Result<JourneyRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

fn journey(row: JourneyRow) -> Result<Journey> {
    let (id, name, status, draft, version, created_at, updated_at) = row;
    Ok(Journey {
        id: JourneyId(id),
        name,
        status: JourneyStatus::parse(&status).ok_or_else(|| StoreError::backend(bad("journey status", &status)))?,
        draft: definition(&draft)?,
        version,
        created_at: time(created_at),
        updated_at: time(updated_at),
    })
}

pub(crate) fn definition(json: &str) -> Result<Definition> {
    serde_json::from_str(json).map_err(StoreError::backend)
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

pub(crate) fn bad(what: &str, value: &str) -> std::io::Error {
    std::io::Error::other(format!("unknown {what} {value:?} in the database"))
}

fn load_journey(c: &Connection, ws: WorkspaceId, id: i64) -> Result<Option<Journey>> {
    let row = c
        .cached_row(
            &format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = ?1 AND id = ?2"),
            params![ws.0, id],
            journey_row,
        )
        .optional()
        .map_err(db_err)?;
    row.map(journey).transpose()
}

fn list(c: &Connection, ws: WorkspaceId) -> Result<Vec<Journey>> {
    let mut stmt = c
        .prepare_cached(&format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = ?1 ORDER BY name"))
        .map_err(db_err)?;
    let rows = stmt.query_map([ws.0], journey_row).map_err(db_err)?;
    rows.map(|r| journey(r.map_err(db_err)?)).collect()
}

fn create(c: &Connection, ws: WorkspaceId, name: &str, draft: &Definition, at: DateTime<Utc>) -> Result<Journey> {
    c.cached_execute(
        "INSERT INTO journeys (workspace_id, name, status, draft, version, created_at, updated_at)
         VALUES (?1, ?2, 'draft', ?3, NULL, ?4, ?4)",
        params![ws.0, name, to_json(draft)?, ms(at)],
    )
    .map_err(unique_violation(format!("journey {name}")))?;
    let id = c.last_insert_rowid();
    load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))
}

fn update(
    c: &Connection,
    ws: WorkspaceId,
    id: i64,
    name: Option<&str>,
    draft: Option<&Definition>,
    at: DateTime<Utc>,
) -> Result<Journey> {
    let draft = draft.map(to_json).transpose()?;
    let n = c
        .cached_execute(
            "UPDATE journeys SET name = COALESCE(?3, name), draft = COALESCE(?4, draft), updated_at = ?5
             WHERE workspace_id = ?1 AND id = ?2",
            params![ws.0, id, name, draft, ms(at)],
        )
        .map_err(unique_violation(format!("journey {}", name.unwrap_or_default())))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("journey {id}")));
    }
    load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))
}

fn publish(c: &Connection, ws: WorkspaceId, id: i64, by: Option<&str>, at: DateTime<Utc>) -> Result<JourneyVersion> {
    let j = load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))?;
    let version = j.version.unwrap_or(0) + 1;
    c.cached_execute(
        "INSERT INTO journey_versions (journey_id, version, definition, published_at, published_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, version, to_json(&j.draft)?, ms(at), by],
    )
    .map_err(db_err)?;
    c.cached_execute(
        "UPDATE journeys SET version = ?2, status = 'live', updated_at = ?3 WHERE id = ?1",
        params![id, version, ms(at)],
    )
    .map_err(db_err)?;
    Ok(JourneyVersion {
        journey: JourneyId(id),
        version,
        definition: j.draft,
        published_at: at,
        published_by: by.map(str::to_owned),
    })
}

fn set_status(c: &Connection, ws: WorkspaceId, id: i64, status: JourneyStatus, at: DateTime<Utc>) -> Result<Journey> {
    let n = c
        .cached_execute(
            "UPDATE journeys SET status = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2",
            params![ws.0, id, status.as_str(), ms(at)],
        )
        .map_err(db_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("journey {id}")));
    }
    load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))
}

pub(crate) fn versions(c: &Connection, ws: WorkspaceId, id: i64, only: Option<i32>) -> Result<Vec<JourneyVersion>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT v.version, v.definition, v.published_at, v.published_by FROM journey_versions v
             JOIN journeys j ON j.id = v.journey_id
             WHERE j.workspace_id = ?1 AND v.journey_id = ?2 AND (?3 IS NULL OR v.version = ?3)
             ORDER BY v.version DESC",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, id, only], |r| {
            Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<String>>(3)?))
        })
        .map_err(db_err)?;
    rows.map(|r| {
        let (version, def, at, by) = r.map_err(db_err)?;
        Ok(JourneyVersion {
            journey: JourneyId(id),
            version,
            definition: definition(&def)?,
            published_at: time(at),
            published_by: by,
        })
    })
    .collect()
}

#[async_trait::async_trait]
impl Journeys for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn create_journey(
        &self,
        ws: WorkspaceId,
        name: &str,
        draft: &Definition,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        let (name, draft) = (name.to_owned(), draft.clone());
        self.write(move |tx| create(tx, ws, &name, &draft, at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journeys(&self, ws: WorkspaceId) -> Result<Vec<Journey>> {
        self.read(move |c| list(c, ws)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey(&self, ws: WorkspaceId, id: JourneyId) -> Result<Option<Journey>> {
        let id = id.0;
        self.read(move |c| load_journey(c, ws, id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn update_journey(
        &self,
        ws: WorkspaceId,
        id: JourneyId,
        name: Option<&str>,
        draft: Option<&Definition>,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        let id = id.0;
        let (name, draft) = (name.map(str::to_owned), draft.cloned());
        self.write(move |tx| update(tx, ws, id, name.as_deref(), draft.as_ref(), at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn publish_journey(
        &self,
        ws: WorkspaceId,
        id: JourneyId,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<JourneyVersion> {
        let id = id.0;
        let by = by.map(str::to_owned);
        self.write(move |tx| publish(tx, ws, id, by.as_deref(), at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_journey_status(
        &self,
        ws: WorkspaceId,
        id: JourneyId,
        status: JourneyStatus,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        let id = id.0;
        self.write(move |tx| set_status(tx, ws, id, status, at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_versions(&self, ws: WorkspaceId, id: JourneyId) -> Result<Vec<JourneyVersion>> {
        let id = id.0;
        self.read(move |c| versions(c, ws, id, None)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_version(&self, ws: WorkspaceId, id: JourneyId, version: i32) -> Result<Option<JourneyVersion>> {
        let id = id.0;
        self.read(move |c| Ok(versions(c, ws, id, Some(version))?.pop())).await
    }
}
