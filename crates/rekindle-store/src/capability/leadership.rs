//! Which node does a workspace's once-only work: the refresh that records who entered and left
//! segments, scoring, the journey runner and the followers that write back (docs/deploy.md,
//! "Several nodes"). Any node ingests and serves; one leads each workspace.

use crate::Result;
use rekindle_core::WorkspaceId;

/// A workspace's leadership term, raised each time a node takes the workspace over.
pub type Term = i64;

/// Which node leads a workspace.
#[async_trait::async_trait]
pub trait Leadership: Send + Sync {
    /// Lead `ws`, or confirm that this store still does: the term while it leads, `None` while
    /// another node does.
    ///
    /// The fencing check: once a store has led a workspace, the refresh's writes for it
    /// (membership and stage changes, scores) are refused with [`StoreError::Superseded`]
    /// as soon as another node's term has begun, checked inside the write's own transaction,
    /// so a leader that was paused and replaced cannot record what its successor decides. A
    /// store that never led the workspace (the CLI's `score`, tests) writes unchecked.
    ///
    /// [`StoreError::Superseded`]: crate::StoreError::Superseded
    async fn lead(&self, ws: WorkspaceId) -> Result<Option<Term>>;
}
