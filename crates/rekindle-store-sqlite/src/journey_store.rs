//! `JourneyStore` for SQLite: each method one read, or one write transaction, over the SQL in
//! `journeys.rs`, `outbox.rs` and `ledgers.rs`.

use chrono::{DateTime, Utc};
use rekindle_core::delivery::{CapsConfig, ChannelKind, CouponDefinition, MessageTemplate};
use rekindle_core::journey::Definition;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{
    Advance, ChangeCursors, CouponIssue, DeliveryError, Dispatched, Enrollment, EnrollmentState, IssuedCoupon, Journey,
    JourneyStatus, JourneyStore, JourneyVersion, NewEnrollment, NewMessage, OutboxMessage, OutboxState, Queued,
    ReadoutRow, Result, VariantCounts,
};
use rusqlite::{OptionalExtension, params};

use crate::Cached;
use crate::{SqliteStore, db_err, journeys, ledgers, outbox};

#[async_trait::async_trait]
impl JourneyStore for SqliteStore {
    async fn create_journey(
        &self,
        ws: WorkspaceId,
        name: &str,
        draft: &Definition,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        let (name, draft) = (name.to_owned(), draft.clone());
        self.write(move |tx| journeys::create(tx, ws, &name, &draft, at)).await
    }

    async fn journeys(&self, ws: WorkspaceId) -> Result<Vec<Journey>> {
        self.read(move |c| journeys::journeys(c, ws)).await
    }

    async fn journey(&self, ws: WorkspaceId, id: i64) -> Result<Option<Journey>> {
        self.read(move |c| journeys::load_journey(c, ws, id)).await
    }

    async fn update_journey(
        &self,
        ws: WorkspaceId,
        id: i64,
        name: Option<&str>,
        draft: Option<&Definition>,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        let (name, draft) = (name.map(str::to_owned), draft.cloned());
        self.write(move |tx| journeys::update(tx, ws, id, name.as_deref(), draft.as_ref(), at)).await
    }

    async fn publish_journey(
        &self,
        ws: WorkspaceId,
        id: i64,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<JourneyVersion> {
        let by = by.map(str::to_owned);
        self.write(move |tx| journeys::publish(tx, ws, id, by.as_deref(), at)).await
    }

    async fn set_journey_status(
        &self,
        ws: WorkspaceId,
        id: i64,
        status: JourneyStatus,
        at: DateTime<Utc>,
    ) -> Result<Journey> {
        self.write(move |tx| journeys::set_status(tx, ws, id, status, at)).await
    }

    async fn journey_versions(&self, ws: WorkspaceId, id: i64) -> Result<Vec<JourneyVersion>> {
        self.read(move |c| journeys::versions(c, ws, id, None)).await
    }

    async fn journey_version(&self, ws: WorkspaceId, id: i64, version: i32) -> Result<Option<JourneyVersion>> {
        self.read(move |c| Ok(journeys::versions(c, ws, id, Some(version))?.pop())).await
    }

    async fn enroll(&self, ws: WorkspaceId, new: &NewEnrollment) -> Result<Option<Enrollment>> {
        let new = new.clone();
        self.write(move |tx| journeys::enroll(tx, ws, &new)).await
    }

    async fn enroll_many(&self, ws: WorkspaceId, new: &[NewEnrollment]) -> Result<Vec<Option<Enrollment>>> {
        let new = new.to_vec();
        self.write(move |tx| new.iter().map(|n| journeys::enroll(tx, ws, n)).collect()).await
    }

    async fn advance_many(
        &self,
        ws: WorkspaceId,
        advances: &[Advance],
        caps: &CapsConfig,
    ) -> Result<Vec<Option<Vec<Queued>>>> {
        let (advances, caps) = (advances.to_vec(), caps.clone());
        self.write(move |tx| advances.iter().map(|a| advance_one(tx, ws, a, &caps)).collect()).await
    }

    async fn enrollment(&self, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>> {
        self.read(move |c| journeys::load_enrollment(c, ws, id)).await
    }

    async fn advance(&self, ws: WorkspaceId, advance: &Advance, caps: &CapsConfig) -> Result<Option<Vec<Queued>>> {
        let (advance, caps) = (advance.clone(), caps.clone());
        self.write(move |tx| advance_one(tx, ws, &advance, &caps)).await
    }

    async fn due_enrollments(&self, ws: WorkspaceId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Enrollment>> {
        self.read(move |c| journeys::due(c, ws, now, limit)).await
    }

    async fn open_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        self.read(move |c| journeys::of_person(c, ws, person, true)).await
    }

    async fn close_enrollment(
        &self,
        ws: WorkspaceId,
        id: i64,
        state: EnrollmentState,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.write(move |tx| journeys::close(tx, ws, id, state, at)).await
    }

    async fn person_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        self.read(move |c| journeys::of_person(c, ws, person, false)).await
    }

    async fn journey_cursor(&self, ws: WorkspaceId) -> Result<i64> {
        self.read(move |c| {
            let cursor = c
                .cached_row("SELECT cursor FROM journey_cursors WHERE workspace_id = ?1", [ws.0], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            Ok(cursor.unwrap_or(0))
        })
        .await
    }

    async fn set_journey_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()> {
        self.write(move |tx| {
            tx.cached_execute(
                "INSERT INTO journey_cursors (workspace_id, cursor) VALUES (?1, ?2)
                 ON CONFLICT (workspace_id) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)",
                params![ws.0, cursor],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn change_cursors(&self, ws: WorkspaceId) -> Result<ChangeCursors> {
        self.change_cursors_impl(ws).await
    }

    async fn set_change_cursors(&self, ws: WorkspaceId, cursors: ChangeCursors) -> Result<()> {
        self.set_change_cursors_impl(ws, cursors).await
    }

    async fn queue(&self, ws: WorkspaceId, messages: &[NewMessage], caps: &CapsConfig) -> Result<Vec<Queued>> {
        let (messages, caps) = (messages.to_vec(), caps.clone());
        self.write(move |tx| messages.iter().map(|m| outbox::queue_one(tx, ws, m, &caps)).collect()).await
    }

    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        self.write(move |tx| outbox::claim(tx, now, lease, limit)).await
    }

    async fn record_dispatch(&self, id: i64, outcome: &Dispatched, at: DateTime<Utc>) -> Result<()> {
        let outcome = outcome.clone();
        self.write(move |tx| outbox::record(tx, id, &outcome, at)).await
    }

    async fn record_dispatches(&self, outcomes: &[(i64, Dispatched)], at: DateTime<Utc>) -> Result<Vec<Result<()>>> {
        let outcomes = outcomes.to_vec();
        self.write(move |tx| {
            outcomes
                .iter()
                .map(|(id, o)| match outbox::record(tx, *id, o, at) {
                    Err(rekindle_store::StoreError::NotFound(w)) => Ok(Err(rekindle_store::StoreError::NotFound(w))),
                    Err(e) => Err(e),
                    Ok(()) => Ok(Ok(())),
                })
                .collect()
        })
        .await
    }

    async fn fail_awaiting(&self, id: i64, error: &DeliveryError, at: DateTime<Utc>) -> Result<bool> {
        let error = error.clone();
        self.write(move |tx| outbox::fail_awaiting(tx, id, &error, at)).await
    }

    async fn mark_delivered(&self, ws: WorkspaceId, send_key: &str, at: DateTime<Utc>) -> Result<bool> {
        let key = send_key.to_owned();
        self.write(move |tx| outbox::mark_delivered(tx, ws, &key, at)).await
    }

    async fn messages(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<OutboxMessage>> {
        self.read(move |c| outbox::messages(c, ws, person, limit)).await
    }

    async fn messages_in_state(&self, state: OutboxState, limit: u32) -> Result<Vec<OutboxMessage>> {
        self.read(move |c| outbox::in_state(c, state, limit)).await
    }

    async fn journey_step_counts(&self, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
        self.read(move |c| journeys::step_counts(c, ws, journey)).await
    }

    async fn journey_message_counts(&self, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
        self.read(move |c| journeys::message_counts(c, ws, journey)).await
    }

    async fn journey_conversions(&self, ws: WorkspaceId, journey: i64) -> Result<Vec<VariantCounts>> {
        self.read(move |c| journeys::conversions(c, ws, journey)).await
    }

    async fn put_message_template(&self, ws: WorkspaceId, template: &MessageTemplate) -> Result<()> {
        let t = template.clone();
        self.write(move |tx| ledgers::put_template(tx, ws, &t)).await
    }

    async fn message_templates(&self, ws: WorkspaceId) -> Result<Vec<MessageTemplate>> {
        self.read(move |c| ledgers::named(c, "message_templates", ws)).await
    }

    async fn delete_message_template(&self, ws: WorkspaceId, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |tx| ledgers::delete_template(tx, ws, &name)).await
    }

    async fn put_coupon(&self, ws: WorkspaceId, coupon: &CouponDefinition) -> Result<()> {
        let d = coupon.clone();
        self.write(move |tx| ledgers::put_coupon(tx, ws, &d)).await
    }

    async fn coupons(&self, ws: WorkspaceId) -> Result<Vec<CouponDefinition>> {
        self.read(move |c| ledgers::named(c, "coupon_definitions", ws)).await
    }

    async fn issue_coupon(
        &self,
        ws: WorkspaceId,
        coupon: &str,
        person: PersonId,
        issue_key: &str,
        at: DateTime<Utc>,
    ) -> Result<CouponIssue> {
        let (coupon, key) = (coupon.to_owned(), issue_key.to_owned());
        self.write(move |tx| ledgers::issue(tx, ws, &coupon, person, &key, at)).await
    }

    async fn redeem_coupon(
        &self,
        ws: WorkspaceId,
        code: &str,
        order_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let (code, order) = (code.to_owned(), order_id.map(str::to_owned));
        self.write(move |tx| ledgers::redeem(tx, ws, &code, order.as_deref(), at)).await
    }

    async fn person_coupons(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>> {
        self.read(move |c| ledgers::of_person(c, ws, person)).await
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
        let source = source.to_owned();
        self.write(move |tx| ledgers::set_consent(tx, ws, person, channel, allowed, &source, at)).await
    }

    async fn opted_out(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>> {
        self.read(move |c| ledgers::opted_out(c, ws, person)).await
    }

    async fn add_subscription(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        template: &str,
        event_key: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (t, k) = (template.to_owned(), event_key.to_owned());
        self.write(move |tx| ledgers::add_subscription(tx, ws, person, &t, &k, at)).await
    }

    async fn subscription_credits(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>> {
        self.read(move |c| ledgers::credits(c, ws, person)).await
    }
}

/// Move one enrollment and queue its messages, inside the caller's transaction.
fn advance_one(
    tx: &rusqlite::Transaction<'_>,
    ws: WorkspaceId,
    advance: &Advance,
    caps: &CapsConfig,
) -> Result<Option<Vec<Queued>>> {
    if journeys::move_enrollment(tx, ws, advance)?.is_none() {
        return Ok(None);
    }
    let queued = advance.messages.iter().map(|m| outbox::queue_one(tx, ws, m, caps)).collect::<Result<_>>()?;
    Ok(Some(queued))
}
