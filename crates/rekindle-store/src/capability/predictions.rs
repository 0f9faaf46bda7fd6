//! The predictions stored for each person.

use crate::{Result, StoredScores};
use rekindle_core::{PersonId, WorkspaceId};

/// The predictions stored for each person.
#[async_trait::async_trait]
pub trait Predictions: Send + Sync {
    /// Replace the workspace's stored scores with these, all as of one moment later than any
    /// stored. A store may write them in parts: until it returns, readers can see some people's
    /// new scores beside others' old ones.
    async fn put_scores(&self, ws: WorkspaceId, scores: &[StoredScores]) -> Result<()>;
    /// A person's stored scores.
    async fn person_scores(&self, ws: WorkspaceId, person: PersonId) -> Result<Option<StoredScores>>;
}
