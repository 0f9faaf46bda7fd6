//! Launch settings (one document per workspace) and approval requests. Same answers as
//! SQLite's launch.rs; a request and its decision are single statements, so two owners
//! deciding at once decide once.

use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::journey::launch::LaunchSettings;
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Approval, ApprovalState, Launch, Result};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::PgRow;

use crate::codec::unknown;
use crate::documents::{self, Document};
use crate::{PostgresStore, db_err, done, sql, sql_owned};

const COLUMNS: &str = "id, journey_id, draft, state, requested_by, requested_at, decided_by, decided_at, reason";

fn approval(r: &PgRow) -> Result<Approval, Error> {
    let state: &str = r.try_get(3)?;
    Ok(Approval {
        id: r.try_get(0)?,
        journey: JourneyId(r.try_get(1)?),
        draft: r.try_get::<Json<Definition>, _>(2)?.0,
        state: ApprovalState::parse(state).ok_or_else(|| unknown("approval state", state))?,
        requested_by: r.try_get(4)?,
        requested_at: r.try_get(5)?,
        decided_by: r.try_get(6)?,
        decided_at: r.try_get(7)?,
        reason: r.try_get(8)?,
    })
}

#[async_trait::async_trait]
impl Launch for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn launch_settings(&self, ws: WorkspaceId) -> Result<LaunchSettings> {
        Ok(documents::read(&self.pool, Document::LaunchSettings, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_launch_settings(&self, ws: WorkspaceId, settings: &LaunchSettings, at: DateTime<Utc>) -> Result<()> {
        documents::write(&self.pool, Document::LaunchSettings, ws, settings, at).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn request_approval(
        &self,
        ws: WorkspaceId,
        journey: JourneyId,
        draft: &Definition,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Approval> {
        let mut tx = self.tx().await?;
        sql("UPDATE journey_approvals SET state = 'withdrawn'
             WHERE workspace_id = $1 AND journey_id = $2 AND state = 'pending'")
        .bind(ws.0)
        .bind(journey.0)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let row = sql_owned(format!(
            "INSERT INTO journey_approvals (workspace_id, journey_id, draft, state, requested_by, requested_at)
             VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING {COLUMNS}"
        ))
        .bind(ws.0)
        .bind(journey.0)
        .bind(Json(draft))
        .bind(by)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let requested = approval(&row).map_err(db_err)?;
        done(tx, requested).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn latest_approval(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Option<Approval>> {
        let row = sql_owned(format!(
            "SELECT {COLUMNS} FROM journey_approvals WHERE workspace_id = $1 AND journey_id = $2
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(ws.0)
        .bind(journey.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(approval).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn decide_approval(
        &self,
        ws: WorkspaceId,
        id: i64,
        approved: bool,
        by: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<Approval>> {
        let state = if approved { ApprovalState::Approved } else { ApprovalState::Rejected };
        let row = sql_owned(format!(
            "UPDATE journey_approvals SET state = $3, decided_by = $4, decided_at = $5, reason = $6
             WHERE workspace_id = $1 AND id = $2 AND state = 'pending' RETURNING {COLUMNS}"
        ))
        .bind(ws.0)
        .bind(id)
        .bind(state.as_str())
        .bind(by)
        .bind(at)
        .bind(reason)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(approval).transpose().map_err(db_err)
    }
}
