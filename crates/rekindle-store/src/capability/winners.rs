//! Automatic winners of journeys' experiments (docs/journeys.md, "Automatic winners").

use crate::Result;
use rekindle_core::WorkspaceId;
use rekindle_core::journey::WinnerDecision;

/// The winner each auto-winner split settled on, with its evidence; decided by the engine.
#[async_trait::async_trait]
pub trait Winners: Send + Sync {
    /// Record a decision unless the split already has one (the first stands); whether it was
    /// recorded. `NotFound` for a journey of another workspace.
    async fn record_winner(&self, ws: WorkspaceId, decision: &WinnerDecision) -> Result<bool>;
    /// The workspace's decisions, by journey and step.
    async fn journey_winners(&self, ws: WorkspaceId) -> Result<Vec<WinnerDecision>>;
}
