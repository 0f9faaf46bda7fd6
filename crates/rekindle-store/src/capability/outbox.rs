//! The outbox every message goes through: queued with its send-once key, claimed, sent, confirmed.

use crate::{DeliveryError, Dispatched, NewMessage, OutboxMessage, OutboxState, Queued, Result, StoreError};
use chrono::{DateTime, Utc};
use rekindle_core::outreach::CapsConfig;
use rekindle_core::{PersonId, WorkspaceId};

/// The outbox every message goes through: queued with its send-once key, claimed, sent, confirmed.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync {
    /// Queue messages outside any journey (welcome messages, tests), caps counted as in
    /// [`Enrollments::advance`](crate::Enrollments::advance).
    async fn queue(&self, ws: WorkspaceId, messages: &[NewMessage], caps: &CapsConfig) -> Result<Vec<Queued>>;
    /// Claim up to `limit` queued messages due at `now`, across workspaces: each is marked
    /// sending, its attempt counted, committed before this returns. Messages left sending by a
    /// dispatcher that died over `lease` ago are handed back too, for the caller to resolve.
    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>>;
    /// Record how the provider call for a claimed message ended.
    async fn record_dispatch(&self, id: i64, outcome: &Dispatched, at: DateTime<Utc>) -> Result<()>;
    /// [`Outbox::record_dispatch`] for several; SQLite does it in one transaction. One
    /// result per message: `NotFound` for a message no longer being sent.
    async fn record_dispatches(&self, outcomes: &[(i64, Dispatched)], at: DateTime<Utc>) -> Result<Vec<Result<()>>> {
        let mut out = Vec::with_capacity(outcomes.len());
        for (id, o) in outcomes {
            out.push(match self.record_dispatch(*id, o, at).await {
                Err(StoreError::NotFound(what)) => Err(StoreError::NotFound(what)),
                Err(e) => return Err(e),
                Ok(()) => Ok(()),
            });
        }
        Ok(out)
    }
    /// Mark the message with this send key delivered (or opened/clicked: still delivered);
    /// `false` when there is none.
    async fn mark_delivered(&self, ws: WorkspaceId, send_key: &str, at: DateTime<Utc>) -> Result<bool> {
        Ok(self.mark_all_delivered(ws, &[(send_key.to_owned(), at)]).await? > 0)
    }
    /// [`Outbox::mark_delivered`] for many (send key, time) pairs in one transaction, in order;
    /// how many named a message.
    async fn mark_all_delivered(&self, ws: WorkspaceId, marks: &[(String, DateTime<Utc>)]) -> Result<usize>;
    /// A message awaiting confirmation (a WeCom mass send) that will not go out: the staff
    /// member never confirmed it, or WeCom did not deliver it. `false` when it is not awaiting.
    async fn fail_awaiting(&self, id: i64, error: &DeliveryError, at: DateTime<Utc>) -> Result<bool>;
    /// A person's messages (or everyone's), newest first.
    async fn messages(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<OutboxMessage>>;
    /// Messages in a state (e.g. awaiting a WeCom confirmation), oldest first.
    async fn messages_in_state(&self, state: OutboxState, limit: u32) -> Result<Vec<OutboxMessage>>;
}
