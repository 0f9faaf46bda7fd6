//! Automatic winners of journeys' experiments.

use rekindle_core::journey::WinnerDecision;
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Result, StoreError, Winners};
use rusqlite::{OptionalExtension, params};

use crate::codec::{ms, time};
use crate::journeys::to_json;
use crate::{SqliteStore, db_err};

#[async_trait::async_trait]
impl Winners for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_winner(&self, ws: WorkspaceId, d: &WinnerDecision) -> Result<bool> {
        let d = d.clone();
        let evidence = to_json(&d.evidence)?;
        self.write(move |tx| {
            let mine: Option<i64> = tx
                .query_row(
                    "SELECT id FROM journeys WHERE id = ?1 AND workspace_id = ?2",
                    params![d.journey.0, ws.0],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)?;
            if mine.is_none() {
                return Err(StoreError::NotFound(format!("journey {}", d.journey)));
            }
            let n = tx
                .execute(
                    "INSERT INTO journey_winners (workspace_id, journey_id, step, winner, version, decided_at, evidence)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (journey_id, step) DO NOTHING",
                    params![ws.0, d.journey.0, d.step, d.winner, d.version, ms(d.decided_at), evidence],
                )
                .map_err(db_err)?;
            Ok(n == 1)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_winners(&self, ws: WorkspaceId) -> Result<Vec<WinnerDecision>> {
        type Row = (i64, String, String, i32, i64, String);
        let rows: Vec<Row> = self
            .read(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT journey_id, step, winner, version, decided_at, evidence FROM journey_winners
                         WHERE workspace_id = ?1 ORDER BY journey_id, step",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([ws.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                    .map_err(db_err)?;
                rows.collect::<rusqlite::Result<_>>().map_err(db_err)
            })
            .await?;
        rows.into_iter()
            .map(|(journey, step, winner, version, at, evidence)| {
                Ok(WinnerDecision {
                    journey: JourneyId(journey),
                    step,
                    winner,
                    version,
                    decided_at: time(at),
                    evidence: serde_json::from_str(&evidence).map_err(StoreError::backend)?,
                })
            })
            .collect()
    }
}
