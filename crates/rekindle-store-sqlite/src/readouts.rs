//! Counts behind a journey's readout: step outcomes, message states, conversions by variant.

use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{ReadoutRow, Readouts, Result, VariantCounts};
use rusqlite::{Connection, params};

use crate::{SqliteStore, db_err};

fn step_counts(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT step, variant, outcome, COUNT(*) FROM journey_steps WHERE workspace_id = ?1 AND journey_id = ?2
             GROUP BY step, variant, outcome ORDER BY step, variant, outcome",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, journey], |r| {
            Ok(ReadoutRow { step: r.get(0)?, variant: r.get(1)?, outcome: r.get(2)?, count: r.get(3)? })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn message_counts(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT COALESCE(step, ''), variant, CASE WHEN state = 'skipped' THEN 'skipped:' || COALESCE(error_code, '')
                    WHEN state = 'failed' THEN 'failed:' || COALESCE(error_kind, '') ELSE state END, COUNT(*)
             FROM outbox WHERE workspace_id = ?1 AND journey_id = ?2
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, journey], |r| {
            Ok(ReadoutRow { step: r.get(0)?, variant: r.get(1)?, outcome: r.get(2)?, count: r.get(3)? })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn conversions(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Vec<VariantCounts>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT variant, COUNT(*), COUNT(converted_at) FROM enrollments WHERE workspace_id = ?1 AND journey_id = ?2
             GROUP BY variant ORDER BY variant",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, journey], |r| {
            Ok(VariantCounts { variant: r.get(0)?, entered: r.get(1)?, converted: r.get(2)? })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

#[async_trait::async_trait]
impl Readouts for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_step_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>> {
        let journey = journey.0;
        self.read(move |c| step_counts(c, ws, journey)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_message_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>> {
        let journey = journey.0;
        self.read(move |c| message_counts(c, ws, journey)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_conversions(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<VariantCounts>> {
        let journey = journey.0;
        self.read(move |c| conversions(c, ws, journey)).await
    }
}
