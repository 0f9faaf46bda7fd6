//! A workspace's message providers as set in the console.

use crate::SqliteStore;
use crate::documents::{self, Document};
use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_store::{ChannelSettings, Result};

#[async_trait::async_trait]
impl ChannelSettings for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn channel_settings(&self, ws: WorkspaceId) -> Result<Option<serde_json::Value>> {
        documents::read(self, Document::ChannelSettings, ws).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_channel_settings(
        &self,
        ws: WorkspaceId,
        settings: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        documents::write(self, Document::ChannelSettings, ws, settings, at).await
    }
}
