//! Team targets: the retention rates each team is judged on and the share to reach.

use crate::Result;
use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::targets::TeamTarget;

/// Team targets, set by the store's owner.
#[async_trait::async_trait]
pub trait Targets: Send + Sync {
    /// The workspace's targets, by team and rate.
    async fn team_targets(&self, ws: WorkspaceId) -> Result<Vec<TeamTarget>>;
    /// Replace the workspace's targets whole (checked by `rekindle_core::targets::check`).
    async fn put_team_targets(&self, ws: WorkspaceId, targets: &[TeamTarget], at: DateTime<Utc>) -> Result<()>;
}
