use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rekindle_core::WorkspaceId;
use rekindle_ingest::Ingestor;
use rekindle_store::Store;

use crate::auth::WriteKeyCache;
use crate::auth::limiter::{LoginLimiter, SearchLimiter};
use crate::config::{AuthConfig, Secret};
use crate::routes::ops::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub ingestor: Ingestor,
    pub write_keys: WriteKeyCache,
    /// `api.admin_token`: owner of every workspace. None unless configured.
    pub admin_token: Option<Secret>,
    pub auth: AuthConfig,
    pub login_limiter: Arc<LoginLimiter>,
    /// People searches per caller.
    pub search_limiter: Arc<SearchLimiter>,
    pub metrics: Arc<Metrics>,
    /// Profiles, stages, tiers and live segments per workspace.
    pub engine: Arc<rekindle_engine::Engine>,
    /// The rooms of live sessions being watched.
    pub live: Arc<rekindle_engine::live::LiveRooms>,
    /// Shared content (UGC), followed from the log.
    pub ugc: Arc<rekindle_engine::ugc::UgcLibrary>,
    /// Customer groups, followed from the log.
    pub groups: Arc<rekindle_engine::groups::GroupBook>,
    /// Customer transfers between staff members, followed from the log.
    pub transfers: Arc<rekindle_engine::transfers::TransferBook>,
    /// Add-contact tasks for phone-only buyers, followed from the log.
    pub reach: Arc<rekindle_engine::reach::ReachBook>,
    /// Tickets and conversations, followed from the log.
    pub desk: Arc<rekindle_engine::service::ServiceDesk>,
    /// Each store's FAQ assistant.
    pub assistant: Arc<rekindle_engine::service::Assistant>,
    /// Subscriptions followed from the log, and the answer-link signer.
    pub subscriptions: Arc<rekindle_engine::subscription::Subscriptions>,
    /// Awards the points events earn.
    pub points: Arc<rekindle_engine::loyalty::PointsFollower>,
    /// Journeys: walks people through them and queues their messages.
    pub runner: Arc<rekindle_journeys::Runner>,
    /// The configured message providers (the WeCom client answers callbacks too).
    pub channels: Arc<rekindle_journeys::dispatch::ChannelDirectory>,
    pub journeys: crate::config::JourneysConfig,
    /// Where each 微信客服 account's message pull stands.
    pub kf_cursors: Arc<KfCursors>,
}

impl AppState {
    /// The workspace's WeCom app, as its channel settings configure it: 404 when it has none,
    /// 503 when the settings cannot be read.
    pub async fn wecom(&self, ws: WorkspaceId) -> Result<Arc<rekindle_delivery::WecomClient>, crate::error::ApiError> {
        use crate::error::{ApiError, ErrorCode};
        let channels =
            self.channels.channels(ws).await.map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
        channels.wecom().ok_or_else(|| ApiError::new(ErrorCode::NotFound, "WeCom is not configured ([channels.wecom])"))
    }
}

/// The `next_cursor` of the last 微信客服 page stored, per workspace and 微信客服 account
/// (`open_kfid`, "" when the callback named none). In memory only: after a restart the first
/// pull starts again from the oldest message WeCom keeps (3 days), and each message's id makes
/// the ones already stored no-ops.
#[derive(Default)]
pub struct KfCursors {
    accounts: Mutex<HashMap<(WorkspaceId, String), Cursor>>,
}

/// One account's cursor, locked while a pull reads from it.
type Cursor = Arc<tokio::sync::Mutex<Option<String>>>;

impl KfCursors {
    /// The account's cursor, held until the guard drops: one pull at a time per account, each
    /// starting where the previous one stopped.
    pub async fn lock(&self, ws: WorkspaceId, open_kfid: &str) -> tokio::sync::OwnedMutexGuard<Option<String>> {
        let slot = {
            let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
            accounts.entry((ws, open_kfid.to_string())).or_default().clone()
        };
        slot.lock_owned().await
    }
}
