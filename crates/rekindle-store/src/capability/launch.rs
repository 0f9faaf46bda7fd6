//! Launch safety (docs/journeys.md): the store's test-send seeds and approval setting, and
//! requests to publish a journey that wait for an owner.

use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::journey::launch::LaunchSettings;
use rekindle_core::{JourneyId, WorkspaceId};

use crate::Result;

/// Where a request to publish stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalState {
    Pending,
    Approved,
    Rejected,
    /// Replaced by a later request before anyone decided.
    Withdrawn,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected, Self::Withdrawn].into_iter().find(|s| s.as_str() == text)
    }
}

/// A request to publish a journey's draft, as it was when asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub id: i64,
    pub journey: JourneyId,
    pub draft: Definition,
    pub state: ApprovalState,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

#[async_trait::async_trait]
pub trait Launch: Send + Sync {
    /// The store's settings (none until saved: no seeds, no approval needed).
    async fn launch_settings(&self, ws: WorkspaceId) -> Result<LaunchSettings>;
    async fn put_launch_settings(&self, ws: WorkspaceId, settings: &LaunchSettings, at: DateTime<Utc>) -> Result<()>;
    /// Ask for `draft` to be published; a request still pending for the journey is withdrawn.
    async fn request_approval(
        &self,
        ws: WorkspaceId,
        journey: JourneyId,
        draft: &Definition,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Approval>;
    /// The journey's latest request, whatever became of it.
    async fn latest_approval(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Option<Approval>>;
    /// Approve or reject a pending request, once: `None` when it is not pending (decided by
    /// someone else meanwhile, withdrawn, or not this workspace's).
    async fn decide_approval(
        &self,
        ws: WorkspaceId,
        id: i64,
        approved: bool,
        by: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<Approval>>;
}
