//! The consent and mini-program subscription ledgers.

use crate::Result;
use chrono::{DateTime, Utc};
use rekindle_core::outreach::ChannelKind;
use rekindle_core::{PersonId, WorkspaceId};

/// The consent and mini-program subscription ledgers.
#[async_trait::async_trait]
pub trait Consent: Send + Sync {
    /// Record an opt-out (`allowed = false`) or opt-in for a channel; the latest wins.
    async fn set_consent(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        channel: ChannelKind,
        allowed: bool,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The channels a person opted out of.
    async fn opted_out(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>>;
    /// Record one mini-program subscription acceptance (idempotent by `event_key`).
    async fn add_subscription(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        template: &str,
        event_key: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Acceptances not yet used by a queued or sent message, per template.
    async fn subscription_credits(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>>;
}
