//! The counts behind a journey's readout. Same answers as SQLite's journeys.rs.

use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{ReadoutRow, Result, VariantCounts};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;

use crate::{PostgresStore, db_err, sql};

fn readout_row(r: &PgRow) -> Result<ReadoutRow, Error> {
    Ok(ReadoutRow { step: r.try_get(0)?, variant: r.try_get(1)?, outcome: r.try_get(2)?, count: r.try_get(3)? })
}

// Readouts sort as SQLite does: bytes, and no variant before any variant.

#[async_trait::async_trait]
impl rekindle_store::Readouts for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_step_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>> {
        let journey = journey.0;
        let rows = sql(
            "SELECT step, variant, outcome, COUNT(*) FROM journey_steps WHERE workspace_id = $1 AND journey_id = $2
                        GROUP BY step, variant, outcome
                        ORDER BY step COLLATE \"C\", variant COLLATE \"C\" NULLS FIRST, outcome COLLATE \"C\"",
        )
        .bind(ws.0)
        .bind(journey)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(readout_row).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_message_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>> {
        let journey = journey.0;
        let rows = sql("SELECT step, variant, outcome, COUNT(*) FROM (
                            SELECT COALESCE(step, '') AS step, variant,
                                   CASE WHEN state = 'skipped' THEN 'skipped:' || COALESCE(error_code, '')
                                        WHEN state = 'failed' THEN 'failed:' || COALESCE(error_kind, '')
                                        ELSE state END AS outcome
                            FROM outbox WHERE workspace_id = $1 AND journey_id = $2
                        ) AS m
                        GROUP BY step, variant, outcome
                        ORDER BY step COLLATE \"C\", variant COLLATE \"C\" NULLS FIRST, outcome COLLATE \"C\"")
        .bind(ws.0)
        .bind(journey)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(readout_row).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_conversions(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<VariantCounts>> {
        let journey = journey.0;
        let rows = sql("SELECT variant, COUNT(*), COUNT(converted_at) FROM enrollments
                        WHERE workspace_id = $1 AND journey_id = $2
                        GROUP BY variant ORDER BY variant COLLATE \"C\" NULLS FIRST")
        .bind(ws.0)
        .bind(journey)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(VariantCounts { variant: r.try_get(0)?, entered: r.try_get(1)?, converted: r.try_get(2)? }))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }
}
