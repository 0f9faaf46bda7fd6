//! A store's channel QR codes (渠道活码, docs/relationships.md), kept as one list: a few dozen
//! per store, edited by operators. Who came through each is on the events.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::contacts::ChannelCode;

use crate::Result;

#[async_trait::async_trait]
pub trait ChannelCodes: Send + Sync {
    /// The store's codes, oldest first (none until some are saved).
    async fn channel_codes(&self, ws: WorkspaceId) -> Result<Vec<ChannelCode>>;
    /// Replace the store's codes.
    async fn put_channel_codes(&self, ws: WorkspaceId, codes: &[ChannelCode], at: DateTime<Utc>) -> Result<()>;
}
