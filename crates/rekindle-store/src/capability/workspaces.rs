//! Workspaces and the write keys that send events into them.

use crate::{Result, Workspace, WriteKey};
use rekindle_core::WorkspaceId;
use rekindle_core::calendar::Calendar;

/// Workspaces and the write keys that send events into them.
#[async_trait::async_trait]
pub trait Workspaces: Send + Sync {
    async fn create_workspace(&self, slug: &str, name: &str, time_zone: &str) -> Result<Workspace>;
    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>>;
    async fn workspaces(&self) -> Result<Vec<Workspace>>;

    /// Store a write key by the hash of its secret (see `rekindle_core::secret`).
    async fn create_write_key(&self, ws: WorkspaceId, name: &str, hash: &str, prefix: &str) -> Result<WriteKey>;
    async fn write_keys(&self, ws: WorkspaceId) -> Result<Vec<WriteKey>>;
    /// Revoke a key; `NotFound` when the workspace has no such key.
    async fn revoke_write_key(&self, ws: WorkspaceId, id: i64) -> Result<()>;
    /// The live (not revoked) key with this hash, in whichever workspace.
    async fn write_key_by_hash(&self, hash: &str) -> Result<Option<WriteKey>>;

    /// Change a workspace's name and/or time zone.
    async fn update_workspace(&self, ws: WorkspaceId, name: Option<&str>, time_zone: Option<&str>)
    -> Result<Workspace>;

    /// The workspace's calendar: its time zone's days (China Standard Time for a workspace
    /// that is not found).
    async fn calendar(&self, ws: WorkspaceId) -> Result<Calendar> {
        let found = self.workspaces().await?.into_iter().find(|w| w.id == ws);
        Ok(found.map_or_else(Calendar::default, |w| Calendar::named(&w.time_zone)))
    }
}
