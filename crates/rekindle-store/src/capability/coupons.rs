//! Coupon definitions and the coupons issued to people.

use crate::{CouponIssue, IssuedCoupon, Result};
use chrono::{DateTime, Utc};
use rekindle_core::outreach::CouponDefinition;
use rekindle_core::{JourneyId, PersonId, WorkspaceId};

/// Coupon definitions and the coupons issued to people.
#[async_trait::async_trait]
pub trait Coupons: Send + Sync {
    async fn put_coupon(&self, ws: WorkspaceId, coupon: &CouponDefinition) -> Result<()>;
    async fn coupons(&self, ws: WorkspaceId) -> Result<Vec<CouponDefinition>>;
    /// Issue one of a coupon to a person, at most once per `issue_key`, within its per-person
    /// limit; `NotFound` when the coupon is not defined.
    async fn issue_coupon(
        &self,
        ws: WorkspaceId,
        coupon: &str,
        person: PersonId,
        issue_key: &str,
        at: DateTime<Utc>,
    ) -> Result<CouponIssue>;
    /// [`Coupons::issue_coupon`] for a journey: the coupon is charged to `journey`, and once
    /// the journey has issued `budget` coupons in all (to people and inviters) no more are
    /// (`BudgetSpent`). Counted under one lock with the insert, on every node.
    #[allow(clippy::too_many_arguments)]
    async fn issue_journey_coupon(
        &self,
        ws: WorkspaceId,
        coupon: &str,
        person: PersonId,
        issue_key: &str,
        at: DateTime<Utc>,
        journey: JourneyId,
        budget: Option<u32>,
    ) -> Result<CouponIssue>;
    /// Redeem an issued coupon by code; `false` when unknown, expired or already redeemed.
    async fn redeem_coupon(
        &self,
        ws: WorkspaceId,
        code: &str,
        order_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    async fn person_coupons(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>>;
}
