//! Coupon definitions and issued coupons. Same answers as SQLite's ledgers.rs; issuing locks
//! (workspace, person, coupon) first so two nodes cannot both issue past the per-person limit.

use chrono::{DateTime, Utc};
use rekindle_core::outreach::CouponDefinition;
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{CouponIssue, IssuedCoupon, Result, StoreError};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::{PgConnection, PgRow};

use crate::journey_lock::{self, Key};
use crate::named::{Named, named, put_named};
use crate::{PostgresStore, db_err, done, sql, sql_owned};

pub(crate) const COUPON_COLUMNS: &str = "code, coupon, person_id, issued_at, expires_at, redeemed_at, order_id";

pub(crate) fn coupon_row(r: &PgRow) -> Result<IssuedCoupon, Error> {
    Ok(IssuedCoupon {
        code: r.try_get(0)?,
        coupon: r.try_get(1)?,
        person: PersonId(r.try_get(2)?),
        issued_at: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        redeemed_at: r.try_get(5)?,
        order_id: r.try_get(6)?,
    })
}

async fn issued_under(c: &mut PgConnection, ws: WorkspaceId, issue_key: &str) -> Result<Option<IssuedCoupon>> {
    let row = sql_owned(format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = $1 AND issue_key = $2"))
        .bind(ws.0)
        .bind(issue_key)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(coupon_row).transpose().map_err(db_err)
}

/// The journey a coupon is charged to, and how many it may issue in all.
type Budget = Option<(JourneyId, Option<u32>)>;

/// Issue a coupon inside the caller's transaction (see [`rekindle_store::Coupons::issue_coupon`]).
async fn issue_in(
    c: &mut PgConnection,
    ws: WorkspaceId,
    coupon: &str,
    person: PersonId,
    issue_key: &str,
    at: DateTime<Utc>,
    budget: Budget,
) -> Result<CouponIssue> {
    // A node issuing this coupon to this person waits here until we commit, then counts ours;
    // with a budget, one issuing any coupon of the journey does too.
    let mut keys = vec![Key::coupon_issues(ws, person, coupon)];
    if let Some((journey, Some(_))) = budget {
        keys.push(Key::journey_coupons(journey.0));
    }
    journey_lock::lock(c, &keys).await.map_err(db_err)?;
    if let Some(earlier) = issued_under(c, ws, issue_key).await? {
        return Ok(CouponIssue::Again(earlier));
    }
    let def: CouponDefinition = sql("SELECT body FROM coupon_definitions WHERE workspace_id = $1 AND name = $2")
        .bind(ws.0)
        .bind(coupon)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .map(|r| r.try_get::<Json<CouponDefinition>, _>(0).map(|Json(d)| d))
        .transpose()
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("coupon {coupon}")))?;
    let held: i64 = sql("SELECT COUNT(*) FROM coupons WHERE workspace_id = $1 AND person_id = $2 AND coupon = $3")
        .bind(ws.0)
        .bind(person.0)
        .bind(coupon)
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    if !def.may_issue(u32::try_from(held).unwrap_or(u32::MAX)) {
        return Ok(CouponIssue::LimitReached);
    }
    if let Some((journey, Some(budget))) = budget {
        // Counted only as far as the budget.
        let spent: i64 = sql("SELECT COUNT(*) FROM (SELECT 1 FROM coupons WHERE journey_id = $1 LIMIT $2) AS t")
            .bind(journey.0)
            .bind(i64::from(budget))
            .fetch_one(&mut *c)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
        if spent >= i64::from(budget) {
            return Ok(CouponIssue::BudgetSpent);
        }
    }
    let issued = IssuedCoupon::new(ws, &def, person, issue_key, at);
    // The same issue key taken meanwhile for another person or coupon (not under our lock):
    // that issue stands, and this one is it again.
    let inserted =
        sql("INSERT INTO coupons (workspace_id, code, coupon, person_id, issue_key, issued_at, expires_at, journey_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING")
        .bind(ws.0)
        .bind(&issued.code)
        .bind(coupon)
        .bind(person.0)
        .bind(issue_key)
        .bind(at)
        .bind(issued.expires_at)
        .bind(budget.map(|b| b.0.0))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if inserted.rows_affected() == 0 {
        let earlier = issued_under(c, ws, issue_key).await?;
        return earlier.map(CouponIssue::Again).ok_or_else(|| {
            StoreError::backend(std::io::Error::other(format!("coupon code {} is taken", issued.code)))
        });
    }
    Ok(CouponIssue::Issued(issued))
}

#[async_trait::async_trait]
impl rekindle_store::Coupons for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_coupon(&self, ws: WorkspaceId, coupon: &CouponDefinition) -> Result<()> {
        put_named(&mut *self.conn().await?, Named::Coupons, ws, &coupon.name, coupon).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn coupons(&self, ws: WorkspaceId) -> Result<Vec<CouponDefinition>> {
        named(&mut *self.conn().await?, Named::Coupons, ws).await
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
        let mut tx = self.tx().await?;
        let issued = issue_in(&mut tx, ws, coupon, person, issue_key, at, None).await?;
        done(tx, issued).await
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
        let mut tx = self.tx().await?;
        let issued = issue_in(&mut tx, ws, coupon, person, issue_key, at, Some((journey, budget))).await?;
        done(tx, issued).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn redeem_coupon(
        &self,
        ws: WorkspaceId,
        code: &str,
        order_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        // One statement: of two redemptions racing, the row lock lets one through and the other
        // finds the coupon redeemed.
        let done = sql("UPDATE coupons SET redeemed_at = $3, order_id = $4
                        WHERE workspace_id = $1 AND code = $2 AND redeemed_at IS NULL AND expires_at > $3")
        .bind(ws.0)
        .bind(code)
        .bind(at)
        .bind(order_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_coupons(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>> {
        let rows = sql_owned(format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = $1 AND person_id = $2 ORDER BY issued_at DESC"
        ))
        .bind(ws.0)
        .bind(person.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(coupon_row).collect::<Result<_, _>>().map_err(db_err)
    }
}
