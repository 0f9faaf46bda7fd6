use std::sync::Arc;

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
    /// Tickets and conversations, followed from the log.
    pub desk: Arc<rekindle_engine::service::ServiceDesk>,
    /// Each store's FAQ assistant.
    pub assistant: Arc<rekindle_engine::service::Assistant>,
    /// Awards the points events earn.
    pub points: Arc<rekindle_engine::loyalty::PointsFollower>,
    /// Journeys: walks people through them and queues their messages.
    pub runner: Arc<rekindle_journeys::Runner>,
    /// The configured message providers (the WeCom client answers callbacks too).
    pub channels: Arc<rekindle_journeys::dispatch::ChannelDirectory>,
    pub journeys: crate::config::JourneysConfig,
}
