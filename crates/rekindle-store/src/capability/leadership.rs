//! Which node does a workspace's once-only work: the refresh that records who entered and left
//! segments, scoring, the journey runner and the followers that write back (docs/deploy.md,
//! "Several nodes"). Any node ingests and serves; one leads each workspace.

use crate::Result;
use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;

/// A workspace's leadership term, raised each time a node takes the workspace over.
pub type Term = i64;

/// Who leads a workspace, as last recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    /// The node's name (`host:pid`, [`node_name`]).
    pub node: String,
    pub term: Term,
    /// When its term began; `None` for a store only one node ever writes.
    pub since: Option<DateTime<Utc>>,
}

/// This process's name among the nodes: its host and process id.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    format!("{}:{}", if host.is_empty() { "node" } else { &host }, std::process::id())
}

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

    /// Who leads `ws` as last recorded (a leader that died stays recorded until another node
    /// takes over, within seconds); `None` before any node led it.
    async fn leader(&self, ws: WorkspaceId) -> Result<Option<Leader>>;

    /// This node's name, as [`Leadership::leader`] gives it.
    fn node(&self) -> String {
        node_name()
    }
}
