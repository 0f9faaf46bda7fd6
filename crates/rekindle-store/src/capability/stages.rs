//! Lifecycle stages as last recorded, and their changes.

use crate::{Result, StageChange};
use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, WorkspaceId};

/// Lifecycle stages as last recorded, and their changes.
#[async_trait::async_trait]
pub trait Stages: Send + Sync {
    /// Every staged person's current stage.
    async fn stages(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, Stage)>>;
    /// Move people to their new stages and record the changes; one transaction.
    async fn record_stage_changes(&self, ws: WorkspaceId, changes: &[StageChange]) -> Result<()>;
    /// A person's stage changes (or everyone's), newest first.
    async fn stage_changes(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<StageChange>>;
    /// Stage changes recorded after the one with id `after`, oldest first, with their ids.
    async fn stage_changes_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> Result<Vec<(i64, StageChange)>>;
}
