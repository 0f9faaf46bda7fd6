//! A store's WeCom relationship setup (docs/relationships.md): its channel QR codes, kept as
//! one list (a few dozen per store, edited by operators; who came through each is on the
//! events), and what it syncs with WeCom's corporate tags.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::contacts::ChannelCode;
use rekindle_core::contacts::tag_sync::TagSync;

use crate::Result;

#[async_trait::async_trait]
pub trait ContactSetup: Send + Sync {
    /// The store's codes, oldest first (none until some are saved).
    async fn channel_codes(&self, ws: WorkspaceId) -> Result<Vec<ChannelCode>>;
    /// Replace the store's codes.
    async fn put_channel_codes(&self, ws: WorkspaceId, codes: &[ChannelCode], at: DateTime<Utc>) -> Result<()>;
    /// The tag sync (off until saved).
    async fn tag_sync(&self, ws: WorkspaceId) -> Result<TagSync>;
    async fn put_tag_sync(&self, ws: WorkspaceId, sync: &TagSync, at: DateTime<Utc>) -> Result<()>;
}
