//! Referral codes (docs/referral.md): one per person, made when first asked for.

use crate::Result;
use chrono::{DateTime, Utc};
use rekindle_core::{PersonId, WorkspaceId};

/// Referral codes, unique within a workspace.
#[async_trait::async_trait]
pub trait ReferralCodes: Send + Sync {
    /// The person's code: the one they have, else the first of `candidates` nobody holds
    /// (`rekindle_core::referral::code_candidate`), kept from `at`. `AlreadyExists` when every
    /// candidate is taken.
    async fn referral_code(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        candidates: &[String],
        at: DateTime<Utc>,
    ) -> Result<String>;
    /// Who the code was made for (an id that a merge may since have absorbed: follow it with
    /// `People::person`).
    async fn referral_code_owner(&self, ws: WorkspaceId, code: &str) -> Result<Option<PersonId>>;
}
