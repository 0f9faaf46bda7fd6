//! Channel QR codes, one document per workspace. Same answers as the other backend's
//! channel_codes.rs.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::contacts::ChannelCode;
use rekindle_store::{ChannelCodes, Result};

use crate::SqliteStore;
use crate::documents::{self, Document};

#[async_trait::async_trait]
impl ChannelCodes for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn channel_codes(&self, ws: WorkspaceId) -> Result<Vec<ChannelCode>> {
        Ok(documents::read(self, Document::ChannelCodes, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_channel_codes(&self, ws: WorkspaceId, codes: &[ChannelCode], at: DateTime<Utc>) -> Result<()> {
        documents::write(self, Document::ChannelCodes, ws, &codes, at).await
    }
}
