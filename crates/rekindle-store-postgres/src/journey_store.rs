//! `JourneyStore` for PostgreSQL: each method one read on a pooled connection, or one
//! transaction, over the SQL in `journeys.rs`, `outbox.rs` and `ledgers.rs`. Transactions run
//! at READ COMMITTED; what must not race another node is locked inside them (see
//! `journey_lock.rs`) or decided by one statement.

use chrono::{DateTime, Utc};
use rekindle_core::delivery::{CapsConfig, ChannelKind, CouponDefinition, MessageTemplate};
use rekindle_core::journey::Definition;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{
    Advance, ChangeCursors, CouponIssue, DeliveryError, Dispatched, Enrollment, EnrollmentState, IssuedCoupon, Journey,
    JourneyStatus, JourneyStore, JourneyVersion, NewEnrollment, NewMessage, OutboxMessage, OutboxState, Queued,
    ReadoutRow, Result, VariantCounts,
};
use sqlx_core::pool::PoolConnection;
use sqlx_core::row::Row;
use sqlx_core::transaction::Transaction;
use sqlx_postgres::Postgres;

use crate::ledgers::Named;
use crate::{PostgresStore, db_err, journeys, ledgers, outbox, sql};

impl PostgresStore {
    /// A connection for reads.
    async fn conn(&self) -> Result<PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(db_err)
    }

    /// A transaction for writes; dropped without `done`, it rolls back.
    async fn tx(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db_err)
    }
}

/// Commit and hand back what the transaction produced.
async fn done<T>(tx: Transaction<'static, Postgres>, value: T) -> Result<T> {
    tx.commit().await.map_err(db_err)?;
    Ok(value)
}

#[async_trait::async_trait]
impl JourneyStore for PostgresStore {
    async fn create_journey(
        &self,
        ws: WorkspaceId,
        name: &str,
        draft: &Definition,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        journeys::create(&mut *self.conn().await?, ws, name, draft, at).await
    }

    async fn journeys(&self, ws: WorkspaceId) -> Result<Vec<Journey>> {
        journeys::journeys(&mut *self.conn().await?, ws).await
    }

    async fn journey(&self, ws: WorkspaceId, id: i64) -> Result<Option<Journey>> {
        journeys::load_journey(&mut *self.conn().await?, ws, id).await
    }

    async fn update_journey(
        &self,
        ws: WorkspaceId,
        id: i64,
        name: Option<&str>,
        draft: Option<&Definition>,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        journeys::update(&mut *self.conn().await?, ws, id, name, draft, at).await
    }

    async fn publish_journey(
        &self,
        ws: WorkspaceId,
        id: i64,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<JourneyVersion> {
        let mut tx = self.tx().await?;
        let version = journeys::publish(&mut tx, ws, id, by, at).await?;
        done(tx, version).await
    }

    async fn set_journey_status(
        &self,
        ws: WorkspaceId,
        id: i64,
        status: JourneyStatus,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        journeys::set_status(&mut *self.conn().await?, ws, id, status, at).await
    }

    async fn journey_versions(&self, ws: WorkspaceId, id: i64) -> Result<Vec<JourneyVersion>> {
        journeys::versions(&mut *self.conn().await?, ws, id, None).await
    }

    async fn journey_version(&self, ws: WorkspaceId, id: i64, version: i32) -> Result<Option<JourneyVersion>> {
        Ok(journeys::versions(&mut *self.conn().await?, ws, id, Some(version)).await?.pop())
    }

    async fn enroll(&self, ws: WorkspaceId, new: &NewEnrollment) -> Result<Option<Enrollment>> {
        let mut tx = self.tx().await?;
        let entered = journeys::enroll(&mut tx, ws, new).await?;
        done(tx, entered).await
    }

    async fn enrollment(&self, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>> {
        journeys::load_enrollment(&mut *self.conn().await?, ws, id).await
    }

    async fn advance(&self, ws: WorkspaceId, advance: &Advance, caps: &CapsConfig) -> Result<Option<Vec<Queued>>> {
        let mut tx = self.tx().await?;
        if journeys::move_enrollment(&mut tx, ws, advance).await?.is_none() {
            // Nothing was written; the transaction holds no locks worth keeping.
            tx.rollback().await.map_err(db_err)?;
            return Ok(None);
        }
        let queued = outbox::queue(&mut tx, ws, &advance.messages, caps).await?;
        done(tx, Some(queued)).await
    }

    async fn due_enrollments(&self, ws: WorkspaceId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Enrollment>> {
        journeys::due(&mut *self.conn().await?, ws, now, limit).await
    }

    async fn open_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        journeys::of_person(&mut *self.conn().await?, ws, person, true).await
    }

    async fn close_enrollment(
        &self,
        ws: WorkspaceId,
        id: i64,
        state: EnrollmentState,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.tx().await?;
        journeys::close(&mut tx, ws, id, state, at).await?;
        done(tx, ()).await
    }

    async fn person_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        journeys::of_person(&mut *self.conn().await?, ws, person, false).await
    }

    async fn journey_cursor(&self, ws: WorkspaceId) -> Result<i64> {
        let row = sql("SELECT cursor FROM journey_cursors WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(row.map(|r| r.try_get(0)).transpose().map_err(db_err)?.unwrap_or(0))
    }

    async fn set_journey_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()> {
        // Only forward: a node that read less of the log cannot move it back.
        sql("INSERT INTO journey_cursors (workspace_id, cursor) VALUES ($1, $2)
             ON CONFLICT (workspace_id) DO UPDATE SET cursor = GREATEST(journey_cursors.cursor, EXCLUDED.cursor)")
        .bind(ws.0)
        .bind(cursor)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn change_cursors(&self, ws: WorkspaceId) -> Result<ChangeCursors> {
        self.change_cursors_impl(ws).await
    }

    async fn set_change_cursors(&self, ws: WorkspaceId, cursors: ChangeCursors) -> Result<()> {
        self.set_change_cursors_impl(ws, cursors).await
    }

    async fn queue(&self, ws: WorkspaceId, messages: &[NewMessage], caps: &CapsConfig) -> Result<Vec<Queued>> {
        let mut tx = self.tx().await?;
        let queued = outbox::queue(&mut tx, ws, messages, caps).await?;
        done(tx, queued).await
    }

    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        // One statement, committed on its own before this returns.
        outbox::claim(&mut *self.conn().await?, now, lease, limit).await
    }

    async fn record_dispatch(&self, id: i64, outcome: &Dispatched, at: DateTime<Utc>) -> Result<()> {
        outbox::record(&mut *self.conn().await?, id, outcome, at).await
    }

    async fn fail_awaiting(&self, id: i64, error: &DeliveryError, at: DateTime<Utc>) -> Result<bool> {
        outbox::fail_awaiting(&mut *self.conn().await?, id, error, at).await
    }

    async fn mark_delivered(&self, ws: WorkspaceId, send_key: &str, at: DateTime<Utc>) -> Result<bool> {
        outbox::mark_delivered(&mut *self.conn().await?, ws, send_key, at).await
    }

    async fn messages(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<OutboxMessage>> {
        outbox::messages(&mut *self.conn().await?, ws, person, limit).await
    }

    async fn messages_in_state(&self, state: OutboxState, limit: u32) -> Result<Vec<OutboxMessage>> {
        outbox::in_state(&mut *self.conn().await?, state, limit).await
    }

    async fn journey_step_counts(&self, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
        journeys::step_counts(&mut *self.conn().await?, ws, journey).await
    }

    async fn journey_message_counts(&self, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
        journeys::message_counts(&mut *self.conn().await?, ws, journey).await
    }

    async fn journey_conversions(&self, ws: WorkspaceId, journey: i64) -> Result<Vec<VariantCounts>> {
        journeys::conversions(&mut *self.conn().await?, ws, journey).await
    }

    async fn put_message_template(&self, ws: WorkspaceId, template: &MessageTemplate) -> Result<()> {
        ledgers::put_template(&mut *self.conn().await?, ws, template).await
    }

    async fn message_templates(&self, ws: WorkspaceId) -> Result<Vec<MessageTemplate>> {
        ledgers::named(&mut *self.conn().await?, Named::Templates, ws).await
    }

    async fn delete_message_template(&self, ws: WorkspaceId, name: &str) -> Result<()> {
        ledgers::delete_template(&mut *self.conn().await?, ws, name).await
    }

    async fn put_coupon(&self, ws: WorkspaceId, coupon: &CouponDefinition) -> Result<()> {
        ledgers::put_coupon(&mut *self.conn().await?, ws, coupon).await
    }

    async fn coupons(&self, ws: WorkspaceId) -> Result<Vec<CouponDefinition>> {
        ledgers::named(&mut *self.conn().await?, Named::Coupons, ws).await
    }

    async fn issue_coupon(
        &self,
        ws: WorkspaceId,
        coupon: &str,
        person: PersonId,
        issue_key: &str,
        at: DateTime<Utc>,
    ) -> Result<CouponIssue> {
        let mut tx = self.tx().await?;
        let issued = ledgers::issue(&mut tx, ws, coupon, person, issue_key, at).await?;
        done(tx, issued).await
    }

    async fn redeem_coupon(
        &self,
        ws: WorkspaceId,
        code: &str,
        order_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        ledgers::redeem(&mut *self.conn().await?, ws, code, order_id, at).await
    }

    async fn person_coupons(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>> {
        ledgers::of_person(&mut *self.conn().await?, ws, person).await
    }

    async fn set_consent(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        channel: ChannelKind,
        allowed: bool,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        ledgers::set_consent(&mut *self.conn().await?, ws, person, channel, allowed, source, at).await
    }

    async fn opted_out(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>> {
        ledgers::opted_out(&mut *self.conn().await?, ws, person).await
    }

    async fn add_subscription(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        template: &str,
        event_key: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        ledgers::add_subscription(&mut *self.conn().await?, ws, person, template, event_key, at).await
    }

    async fn subscription_credits(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>> {
        ledgers::credits(&mut *self.conn().await?, ws, person).await
    }
}
