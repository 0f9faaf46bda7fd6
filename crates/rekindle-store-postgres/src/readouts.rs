//! The counts behind a journey's readout. Same answers as SQLite's journeys.rs.

use chrono::{DateTime, Utc};
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{CouponRecord, JourneyEntry, JourneyTouch, OptOut, ReadoutRow, Result, VariantCounts};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;

use crate::coupons::coupon_row;
use crate::{PostgresStore, db_err, sql};

fn readout_row(r: &PgRow) -> Result<ReadoutRow, Error> {
    Ok(ReadoutRow { step: r.try_get(0)?, variant: r.try_get(1)?, outcome: r.try_get(2)?, count: r.try_get(3)? })
}

impl PostgresStore {
    /// The rows of `q` for a workspace (`$1`) over a time range (`$2..$3`).
    async fn between(
        &self,
        q: &'static str,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PgRow>> {
        sql(q).bind(ws.0).bind(from).bind(to).fetch_all(&self.pool).await.map_err(db_err)
    }
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
    async fn journey_entry_refusals(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<(String, i64)>> {
        let rows = sql("SELECT reason, COUNT(*) FROM journey_entry_refusals r
                        WHERE workspace_id = $1 AND journey_id = $2
                          AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.journey_id = r.journey_id
                                          AND e.person_id = r.person_id AND e.entered_at >= r.at)
                        GROUP BY reason ORDER BY reason COLLATE \"C\"")
        .bind(ws.0)
        .bind(journey.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, Error>>().map_err(db_err)
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_entries(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<JourneyEntry>> {
        let rows = self
            .between(
                "SELECT x.id, x.journey_id, COALESCE(p.merged_into, x.person_id), x.variant, x.entered_at
                        FROM enrollments x LEFT JOIN people p ON p.id = x.person_id
                        WHERE x.workspace_id = $1 AND x.entered_at >= $2 AND x.entered_at < $3 ORDER BY x.id",
                ws,
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(JourneyEntry {
                    enrollment: r.try_get(0)?,
                    journey: JourneyId(r.try_get(1)?),
                    person: PersonId(r.try_get(2)?),
                    variant: r.try_get(3)?,
                    entered_at: r.try_get(4)?,
                })
            })
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_touches(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<JourneyTouch>> {
        let rows = self
            .between(
                "SELECT x.journey_id, x.enrollment_id, COALESCE(p.merged_into, x.person_id), x.sent_at
                        FROM outbox x LEFT JOIN people p ON p.id = x.person_id
                        WHERE x.workspace_id = $1 AND x.journey_id IS NOT NULL AND x.state IN ('sent', 'delivered')
                          AND x.sent_at >= $2 AND x.sent_at < $3
                        ORDER BY x.sent_at, x.id",
                ws,
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(JourneyTouch {
                    journey: JourneyId(r.try_get(0)?),
                    enrollment: r.try_get(1)?,
                    person: PersonId(r.try_get(2)?),
                    at: r.try_get(3)?,
                })
            })
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn issued_coupons(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CouponRecord>> {
        let rows = self
            .between(
                "SELECT x.code, x.coupon, COALESCE(p.merged_into, x.person_id), x.issued_at, x.expires_at,
                               x.redeemed_at, x.order_id, x.issue_key
                        FROM coupons x LEFT JOIN people p ON p.id = x.person_id
                        WHERE x.workspace_id = $1 AND x.issued_at >= $2 AND x.issued_at < $3
                        ORDER BY x.issued_at, x.code COLLATE \"C\"",
                ws,
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| Ok(CouponRecord { issued: coupon_row(r)?, issue_key: r.try_get(7)? }))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn opt_outs_since(&self, ws: WorkspaceId, from: DateTime<Utc>) -> Result<Vec<OptOut>> {
        let rows = sql("SELECT COALESCE(p.merged_into, x.person_id), x.at
                        FROM consent x LEFT JOIN people p ON p.id = x.person_id
                        WHERE x.workspace_id = $1 AND NOT x.allowed AND x.at >= $2 ORDER BY x.at")
        .bind(ws.0)
        .bind(from)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(OptOut { person: PersonId(r.try_get(0)?), at: r.try_get(1)? }))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }
}
