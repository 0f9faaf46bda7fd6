//! Journeys and their published versions. Same answers as SQLite's journeys.rs; what differs is
//! that other nodes write beside us, so publishing row-locks its journey.

use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Journey, JourneyStatus, JourneyVersion, Result, StoreError};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::{PgConnection, PgRow};

use crate::accounts::unique_violation;
use crate::codec::unknown;
use crate::{PostgresStore, db_err, done, sql, sql_owned};

const JOURNEY_COLUMNS: &str = "id, name, status, draft, version, created_at, updated_at";

fn journey(r: &PgRow) -> Result<Journey, Error> {
    let status: &str = r.try_get(2)?;
    let Json(draft) = r.try_get::<Json<Definition>, _>(3)?;
    Ok(Journey {
        id: JourneyId(r.try_get(0)?),
        name: r.try_get(1)?,
        status: JourneyStatus::parse(status).ok_or_else(|| unknown("journey status", status))?,
        draft,
        version: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("journey {id}"))
}

/// `lock`: hold the row until the transaction ends (`FOR UPDATE`), for a read that decides a write.
async fn load_journey_in(c: &mut PgConnection, ws: WorkspaceId, id: i64, lock: bool) -> Result<Option<Journey>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row = sql_owned(format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = $1 AND id = $2{lock}"))
        .bind(ws.0)
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(journey).transpose().map_err(db_err)
}

/// A journey's versions, newest first; `only` one of them.
async fn versions(c: &mut PgConnection, ws: WorkspaceId, id: i64, only: Option<i32>) -> Result<Vec<JourneyVersion>> {
    let rows = sql("SELECT v.version, v.definition, v.published_at, v.published_by FROM journey_versions v
                    JOIN journeys j ON j.id = v.journey_id
                    WHERE j.workspace_id = $1 AND v.journey_id = $2 AND ($3::int IS NULL OR v.version = $3)
                    ORDER BY v.version DESC")
    .bind(ws.0)
    .bind(id)
    .bind(only)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let Json(definition) = r.try_get::<Json<Definition>, _>(1)?;
            Ok(JourneyVersion {
                journey: JourneyId(id),
                version: r.try_get(0)?,
                definition,
                published_at: r.try_get(2)?,
                published_by: r.try_get(3)?,
            })
        })
        .collect::<Result<_, Error>>()
        .map_err(db_err)
}

#[async_trait::async_trait]
impl rekindle_store::Journeys for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn create_journey(
        &self,
        ws: WorkspaceId,
        name: &str,
        draft: &Definition,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        let row = sql_owned(format!(
            "INSERT INTO journeys (workspace_id, name, status, draft, version, created_at, updated_at)
             VALUES ($1, $2, 'draft', $3, NULL, $4, $4) RETURNING {JOURNEY_COLUMNS}"
        ))
        .bind(ws.0)
        .bind(name)
        .bind(Json(draft))
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(unique_violation(format!("journey {name}")))?;
        journey(&row).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journeys(&self, ws: WorkspaceId) -> Result<Vec<Journey>> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        let rows = sql_owned(format!(
            "SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = $1 ORDER BY name COLLATE \"C\""
        ))
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(journey).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey(&self, ws: WorkspaceId, id: JourneyId) -> Result<Option<Journey>> {
        let id = id.0;
        load_journey_in(&mut *self.conn().await?, ws, id, false).await
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
        // A `None` keeps the column as it is.
        let row = sql_owned(format!(
            "UPDATE journeys SET name = COALESCE($3, name), draft = COALESCE($4, draft), updated_at = $5
             WHERE workspace_id = $1 AND id = $2 RETURNING {JOURNEY_COLUMNS}"
        ))
        .bind(ws.0)
        .bind(id)
        .bind(name)
        .bind(draft.map(Json))
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(unique_violation(format!("journey {}", name.unwrap_or_default())))?;
        journey(&row.ok_or_else(|| not_found(id))?).map_err(db_err)
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
        let mut tx = self.tx().await?;
        // Locked, so two nodes publishing at once number their versions one after the other.
        let j = load_journey_in(&mut tx, ws, id, true).await?.ok_or_else(|| not_found(id))?;
        let version = j.version.unwrap_or(0) + 1;
        sql("INSERT INTO journey_versions (journey_id, version, definition, published_at, published_by)
             VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(version)
        .bind(Json(&j.draft))
        .bind(at)
        .bind(by)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sql("UPDATE journeys SET version = $2, status = 'live', updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(version)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let published = JourneyVersion {
            journey: JourneyId(id),
            version,
            definition: j.draft,
            published_at: at,
            published_by: by.map(str::to_owned),
        };
        done(tx, published).await
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
        let row = sql_owned(format!(
            "UPDATE journeys SET status = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2
             RETURNING {JOURNEY_COLUMNS}"
        ))
        .bind(ws.0)
        .bind(id)
        .bind(status.as_str())
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        journey(&row.ok_or_else(|| not_found(id))?).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_versions(&self, ws: WorkspaceId, id: JourneyId) -> Result<Vec<JourneyVersion>> {
        let id = id.0;
        versions(&mut *self.conn().await?, ws, id, None).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_version(&self, ws: WorkspaceId, id: JourneyId, version: i32) -> Result<Option<JourneyVersion>> {
        let id = id.0;
        Ok(versions(&mut *self.conn().await?, ws, id, Some(version)).await?.pop())
    }
}
