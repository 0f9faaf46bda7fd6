//! Launch settings (one document per workspace) and approval requests. Same answers as
//! PostgreSQL's launch.rs.

use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::journey::launch::LaunchSettings;
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Approval, ApprovalState, Launch, Result};
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{ms, time};
use crate::documents::{self, Document};
use crate::journeys::{bad, definition, to_json};
use crate::{Cached, SqliteStore, db_err};

const COLUMNS: &str = "id, journey_id, draft, state, requested_by, requested_at, decided_by, decided_at, reason";

fn approval(r: &rusqlite::Row) -> rusqlite::Result<Approval> {
    let conversion = |i: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    let draft: String = r.get(2)?;
    let state: String = r.get(3)?;
    Ok(Approval {
        id: r.get(0)?,
        journey: JourneyId(r.get(1)?),
        draft: definition(&draft).map_err(|e| conversion(2, Box::new(e)))?,
        state: ApprovalState::parse(&state).ok_or_else(|| conversion(3, Box::new(bad("approval state", &state))))?,
        requested_by: r.get(4)?,
        requested_at: time(r.get(5)?),
        decided_by: r.get(6)?,
        decided_at: r.get::<_, Option<i64>>(7)?.map(time),
        reason: r.get(8)?,
    })
}

fn latest(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Option<Approval>> {
    c.cached_row(
        &format!(
            "SELECT {COLUMNS} FROM journey_approvals WHERE workspace_id = ?1 AND journey_id = ?2 ORDER BY id DESC LIMIT 1"
        ),
        params![ws.0, journey],
        approval,
    )
    .optional()
    .map_err(db_err)
}

#[async_trait::async_trait]
impl Launch for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn launch_settings(&self, ws: WorkspaceId) -> Result<LaunchSettings> {
        Ok(documents::read(self, Document::LaunchSettings, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_launch_settings(&self, ws: WorkspaceId, settings: &LaunchSettings, at: DateTime<Utc>) -> Result<()> {
        documents::write(self, Document::LaunchSettings, ws, settings, at).await
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
        let (draft, by) = (to_json(draft)?, by.to_owned());
        self.write(move |tx| {
            tx.cached_execute(
                "UPDATE journey_approvals SET state = 'withdrawn'
                 WHERE workspace_id = ?1 AND journey_id = ?2 AND state = 'pending'",
                params![ws.0, journey.0],
            )
            .map_err(db_err)?;
            tx.cached_row(
                &format!(
                    "INSERT INTO journey_approvals (workspace_id, journey_id, draft, state, requested_by, requested_at)
                     VALUES (?1, ?2, ?3, 'pending', ?4, ?5) RETURNING {COLUMNS}"
                ),
                params![ws.0, journey.0, draft, by, ms(at)],
                approval,
            )
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn latest_approval(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Option<Approval>> {
        self.read(move |c| latest(c, ws, journey.0)).await
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
        let (by, reason) = (by.to_owned(), reason.map(str::to_owned));
        self.write(move |tx| {
            tx.cached_row(
                &format!(
                    "UPDATE journey_approvals SET state = ?3, decided_by = ?4, decided_at = ?5, reason = ?6
                     WHERE workspace_id = ?1 AND id = ?2 AND state = 'pending' RETURNING {COLUMNS}"
                ),
                params![ws.0, id, state.as_str(), by, ms(at), reason],
                approval,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }
}
