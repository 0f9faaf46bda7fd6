//! The WeCom relationship setup, one document per workspace each. Same answers as the other
//! backend's channel_codes.rs.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::contacts::ChannelCode;
use rekindle_core::contacts::tag_sync::TagSync;
use rekindle_store::{ContactSetup, Result};

use crate::SqliteStore;
use crate::documents::{self, Document};

#[async_trait::async_trait]
impl ContactSetup for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn channel_codes(&self, ws: WorkspaceId) -> Result<Vec<ChannelCode>> {
        Ok(documents::read(self, Document::ChannelCodes, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_channel_codes(&self, ws: WorkspaceId, codes: &[ChannelCode], at: DateTime<Utc>) -> Result<()> {
        documents::write(self, Document::ChannelCodes, ws, &codes, at).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn tag_sync(&self, ws: WorkspaceId) -> Result<TagSync> {
        Ok(documents::read(self, Document::TagSync, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_tag_sync(&self, ws: WorkspaceId, sync: &TagSync, at: DateTime<Utc>) -> Result<()> {
        documents::write(self, Document::TagSync, ws, sync, at).await
    }
}
