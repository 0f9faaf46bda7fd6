//! The store's global control group (docs/journeys.md, "Global control group"): one setting
//! per workspace, kept whole. Who is in it is drawn, not stored (`rekindle_core::programme`).

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::programme::ControlGroup;

use crate::Result;

#[async_trait::async_trait]
pub trait Programme: Send + Sync {
    /// The store's control group (off, the default, until one is saved).
    async fn control_group(&self, ws: WorkspaceId) -> Result<ControlGroup>;
    async fn put_control_group(&self, ws: WorkspaceId, group: &ControlGroup, at: DateTime<Utc>) -> Result<()>;
}
