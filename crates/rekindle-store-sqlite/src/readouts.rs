//! Counts behind a journey's readout: step outcomes, message states, conversions by variant.

use chrono::{DateTime, Utc};
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{CouponRecord, JourneyEntry, JourneyTouch, OptOut, ReadoutRow, Readouts, Result, VariantCounts};
use rusqlite::{Connection, params};

use crate::codec::{ms, time};
use crate::coupons::coupon_row;
use crate::{SqliteStore, db_err};

/// The person a row was written for, as they are now: merges keep other rows' ids.
const NOW_PERSON: &str = "COALESCE((SELECT merged_into FROM people WHERE id = x.person_id), x.person_id)";

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

fn entry_refusals(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Vec<(String, i64)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT reason, COUNT(*) FROM journey_entry_refusals r
             WHERE workspace_id = ?1 AND journey_id = ?2
               AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.journey_id = r.journey_id
                               AND e.person_id = r.person_id AND e.entered_at >= r.at)
             GROUP BY reason ORDER BY reason",
        )
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, journey], |r| Ok((r.get(0)?, r.get(1)?))).map_err(db_err)?;
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

fn entries(c: &Connection, ws: WorkspaceId, from: i64, to: i64) -> Result<Vec<JourneyEntry>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT x.id, x.journey_id, {NOW_PERSON}, x.variant, x.entered_at FROM enrollments x
             WHERE x.workspace_id = ?1 AND x.entered_at >= ?2 AND x.entered_at < ?3 ORDER BY x.id"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, from, to], |r| {
            Ok(JourneyEntry {
                enrollment: r.get(0)?,
                journey: JourneyId(r.get(1)?),
                person: PersonId(r.get(2)?),
                variant: r.get(3)?,
                entered_at: time(r.get(4)?),
            })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn touches(c: &Connection, ws: WorkspaceId, from: i64, to: i64) -> Result<Vec<JourneyTouch>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT x.journey_id, x.enrollment_id, {NOW_PERSON}, x.sent_at FROM outbox x
             WHERE x.workspace_id = ?1 AND x.journey_id IS NOT NULL AND x.state IN ('sent', 'delivered')
               AND x.sent_at >= ?2 AND x.sent_at < ?3
             ORDER BY x.sent_at, x.id"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, from, to], |r| {
            Ok(JourneyTouch {
                journey: JourneyId(r.get(0)?),
                enrollment: r.get(1)?,
                person: PersonId(r.get(2)?),
                at: time(r.get(3)?),
            })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn coupons(c: &Connection, ws: WorkspaceId, from: i64, to: i64) -> Result<Vec<CouponRecord>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT x.code, x.coupon, {NOW_PERSON}, x.issued_at, x.expires_at, x.redeemed_at, x.order_id, x.issue_key
             FROM coupons x WHERE x.workspace_id = ?1 AND x.issued_at >= ?2 AND x.issued_at < ?3
             ORDER BY x.issued_at, x.code"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, from, to], |r| Ok(CouponRecord { issued: coupon_row(r)?, issue_key: r.get(7)? }))
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn opt_outs(c: &Connection, ws: WorkspaceId, from: i64) -> Result<Vec<OptOut>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {NOW_PERSON}, x.at FROM consent x WHERE x.workspace_id = ?1 AND x.allowed = 0 AND x.at >= ?2
             ORDER BY x.at"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, from], |r| Ok(OptOut { person: PersonId(r.get(0)?), at: time(r.get(1)?) }))
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
    async fn journey_entry_refusals(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<(String, i64)>> {
        let journey = journey.0;
        self.read(move |c| entry_refusals(c, ws, journey)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_conversions(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<VariantCounts>> {
        let journey = journey.0;
        self.read(move |c| conversions(c, ws, journey)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_entries(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<JourneyEntry>> {
        let (from, to) = (ms(from), ms(to));
        self.read(move |c| entries(c, ws, from, to)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_touches(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<JourneyTouch>> {
        let (from, to) = (ms(from), ms(to));
        self.read(move |c| touches(c, ws, from, to)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn issued_coupons(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CouponRecord>> {
        let (from, to) = (ms(from), ms(to));
        self.read(move |c| coupons(c, ws, from, to)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn opt_outs_since(&self, ws: WorkspaceId, from: DateTime<Utc>) -> Result<Vec<OptOut>> {
        let from = ms(from);
        self.read(move |c| opt_outs(c, ws, from)).await
    }
}
