//! Automatic winners of journeys' experiments. Same answers as SQLite's.

use rekindle_core::journey::{WinnerDecision, WinnerEvidence};
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Result, StoreError, Winners};
use sqlx_core::row::Row;
use sqlx_core::types::Json;

use crate::{PostgresStore, db_err, sql};

#[async_trait::async_trait]
impl Winners for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_winner(&self, ws: WorkspaceId, d: &WinnerDecision) -> Result<bool> {
        // Inserted only for a journey of this workspace; the first decision of a split stands.
        let done =
            sql("INSERT INTO journey_winners (workspace_id, journey_id, step, winner, version, decided_at, evidence)
             SELECT $1, id, $3, $4, $5, $6, $7 FROM journeys WHERE id = $2 AND workspace_id = $1
             ON CONFLICT (journey_id, step) DO NOTHING")
            .bind(ws.0)
            .bind(d.journey.0)
            .bind(&d.step)
            .bind(&d.winner)
            .bind(d.version)
            .bind(d.decided_at)
            .bind(Json(&d.evidence))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        let mine = sql("SELECT 1 FROM journeys WHERE id = $1 AND workspace_id = $2")
            .bind(d.journey.0)
            .bind(ws.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        match mine {
            Some(_) => Ok(false),
            None => Err(StoreError::NotFound(format!("journey {}", d.journey))),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_winners(&self, ws: WorkspaceId) -> Result<Vec<WinnerDecision>> {
        let rows = sql("SELECT journey_id, step, winner, version, decided_at, evidence FROM journey_winners
             WHERE workspace_id = $1 ORDER BY journey_id, step")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let Json(evidence) = r.try_get::<Json<WinnerEvidence>, _>(5).map_err(db_err)?;
                Ok(WinnerDecision {
                    journey: JourneyId(r.try_get(0).map_err(db_err)?),
                    step: r.try_get(1).map_err(db_err)?,
                    winner: r.try_get(2).map_err(db_err)?,
                    version: r.try_get(3).map_err(db_err)?,
                    decided_at: r.try_get(4).map_err(db_err)?,
                    evidence,
                })
            })
            .collect()
    }
}
