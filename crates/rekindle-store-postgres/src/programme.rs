//! The store's global control group, kept as a document.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::programme::ControlGroup;
use rekindle_store::{Programme, Result};

use crate::PostgresStore;
use crate::documents::{self, Document};

#[async_trait::async_trait]
impl Programme for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn control_group(&self, ws: WorkspaceId) -> Result<ControlGroup> {
        Ok(documents::read(&self.pool, Document::ControlGroup, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_control_group(&self, ws: WorkspaceId, group: &ControlGroup, at: DateTime<Utc>) -> Result<()> {
        documents::write(&self.pool, Document::ControlGroup, ws, group, at).await
    }
}
