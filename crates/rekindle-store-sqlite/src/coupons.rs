//! Coupon definitions (kept whole as JSON by name, see `named.rs`) and the coupons issued to people.

use chrono::{DateTime, Utc};
use rekindle_core::outreach::CouponDefinition;
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{CouponIssue, Coupons, IssuedCoupon, Result, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::codec::{ms, time};
use crate::journeys::to_json;
use crate::named::{named, put_named};
use crate::{SqliteStore, db_err};

pub(crate) const COUPON_COLUMNS: &str = "code, coupon, person_id, issued_at, expires_at, redeemed_at, order_id";

pub(crate) fn coupon_row(r: &rusqlite::Row) -> rusqlite::Result<IssuedCoupon> {
    Ok(IssuedCoupon {
        code: r.get(0)?,
        coupon: r.get(1)?,
        person: PersonId(r.get(2)?),
        issued_at: time(r.get(3)?),
        expires_at: time(r.get(4)?),
        redeemed_at: r.get::<_, Option<i64>>(5)?.map(time),
        order_id: r.get(6)?,
    })
}

/// The journey a coupon is charged to, and how many it may issue in all.
type Budget = Option<(JourneyId, Option<u32>)>;

fn issue(
    c: &Connection,
    ws: WorkspaceId,
    coupon: &str,
    person: PersonId,
    issue_key: &str,
    at: DateTime<Utc>,
    budget: Budget,
) -> Result<CouponIssue> {
    let earlier = c
        .cached_row(
            &format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = ?1 AND issue_key = ?2"),
            params![ws.0, issue_key],
            coupon_row,
        )
        .optional()
        .map_err(db_err)?;
    if let Some(c) = earlier {
        return Ok(CouponIssue::Again(c));
    }
    let def: CouponDefinition = c
        .cached_row(
            "SELECT body FROM coupon_definitions WHERE workspace_id = ?1 AND name = ?2",
            params![ws.0, coupon],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(db_err)?
        .map(|b| serde_json::from_str(&b).map_err(StoreError::backend))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("coupon {coupon}")))?;
    let held: u32 = c
        .cached_row(
            "SELECT COUNT(*) FROM coupons WHERE workspace_id = ?1 AND person_id = ?2 AND coupon = ?3",
            params![ws.0, person.0, coupon],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    if !def.may_issue(held) {
        return Ok(CouponIssue::LimitReached);
    }
    if let Some((journey, Some(budget))) = budget {
        // Counted only as far as the budget.
        let spent: u32 = c
            .cached_row(
                "SELECT COUNT(*) FROM (SELECT 1 FROM coupons WHERE journey_id = ?1 LIMIT ?2)",
                params![journey.0, budget],
                |r| r.get(0),
            )
            .map_err(db_err)?;
        if spent >= budget {
            return Ok(CouponIssue::BudgetSpent);
        }
    }
    let issued = IssuedCoupon::new(ws, &def, person, issue_key, at);
    c.cached_execute(
        "INSERT INTO coupons (workspace_id, code, coupon, person_id, issue_key, issued_at, expires_at, journey_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![ws.0, issued.code, coupon, person.0, issue_key, ms(at), ms(issued.expires_at), budget.map(|b| b.0.0)],
    )
    .map_err(db_err)?;
    Ok(CouponIssue::Issued(issued))
}

fn redeem(c: &Connection, ws: WorkspaceId, code: &str, order: Option<&str>, at: DateTime<Utc>) -> Result<bool> {
    let n = c
        .cached_execute(
            "UPDATE coupons SET redeemed_at = ?3, order_id = ?4
             WHERE workspace_id = ?1 AND code = ?2 AND redeemed_at IS NULL AND expires_at > ?3",
            params![ws.0, code, ms(at), order],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

fn of_person(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = ?1 AND person_id = ?2 ORDER BY issued_at DESC"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, person.0], coupon_row).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

#[async_trait::async_trait]
impl Coupons for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_coupon(&self, ws: WorkspaceId, coupon: &CouponDefinition) -> Result<()> {
        let d = coupon.clone();
        self.write(move |tx| put_named(tx, "coupon_definitions", ws, &d.name, to_json(&d)?)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn coupons(&self, ws: WorkspaceId) -> Result<Vec<CouponDefinition>> {
        self.read(move |c| named(c, "coupon_definitions", ws)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn issue_coupon(
        &self,
        ws: WorkspaceId,
        coupon: &str,
        person: PersonId,
        issue_key: &str,
        at: DateTime<Utc>,
    ) -> Result<CouponIssue> {
        let (coupon, key) = (coupon.to_owned(), issue_key.to_owned());
        self.write(move |tx| issue(tx, ws, &coupon, person, &key, at, None)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn issue_journey_coupon(
        &self,
        ws: WorkspaceId,
        coupon: &str,
        person: PersonId,
        issue_key: &str,
        at: DateTime<Utc>,
        journey: JourneyId,
        budget: Option<u32>,
    ) -> Result<CouponIssue> {
        let (coupon, key) = (coupon.to_owned(), issue_key.to_owned());
        self.write(move |tx| issue(tx, ws, &coupon, person, &key, at, Some((journey, budget)))).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn redeem_coupon(
        &self,
        ws: WorkspaceId,
        code: &str,
        order_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let (code, order) = (code.to_owned(), order_id.map(str::to_owned));
        self.write(move |tx| redeem(tx, ws, &code, order.as_deref(), at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_coupons(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>> {
        self.read(move |c| of_person(c, ws, person)).await
    }
}
