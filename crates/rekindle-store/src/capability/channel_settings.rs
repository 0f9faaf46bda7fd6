//! A workspace's message providers as its owner set them in the console: credentials and
//! endpoints over the configuration file's (`rekindle_delivery::ChannelsConfig`, as JSON).

use crate::Result;
use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;

/// A workspace's message providers as its owner set them in the console.
#[async_trait::async_trait]
pub trait ChannelSettings: Send + Sync {
    /// What was saved last, if anything: a JSON object of provider sections.
    async fn channel_settings(&self, ws: WorkspaceId) -> Result<Option<serde_json::Value>>;
    /// Replace the workspace's settings whole.
    async fn put_channel_settings(
        &self,
        ws: WorkspaceId,
        settings: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<()>;
}
