//! The predictions stored for each person.

use crate::{Result, StoredFit, StoredScores};
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
    /// Replace the workspace's fitted models (fenced, like the scores, once another node leads).
    async fn put_fit(&self, ws: WorkspaceId, fit: &StoredFit) -> Result<()>;
    /// The workspace's fitted models as last put.
    async fn latest_fit(&self, ws: WorkspaceId) -> Result<Option<StoredFit>>;
}
