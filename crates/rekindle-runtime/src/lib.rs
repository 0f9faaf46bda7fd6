//! What runs behind the server, whatever the store: ingestion, the engine kept current by the
//! segment refresh, the journey runner and the dispatcher, and the loops that drive them.
//! The binary picks the store and hands it here; the HTTP layer takes the [`Services`] and
//! serves them.

mod contacts_loop;
mod journey_loops;
mod leadership_loop;
mod live_loop;
mod points_loop;
mod refresh_loop;
mod subscriptions_loop;
mod winners_loop;
mod workspace_list;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::outreach::CapsConfig;
use rekindle_delivery::ChannelsConfig;
pub use rekindle_engine::Clock;
use rekindle_engine::live::LiveRooms;
use rekindle_engine::{Engine, Judging};
use rekindle_ingest::{IngestConfig, IngestMetrics, Ingestor};
use rekindle_journeys::Runner;
use rekindle_journeys::dispatch::{ChannelDirectory, DispatchConfig, Dispatcher};
use rekindle_store::Store;

/// What the services need to know, from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub identity: IdentityPolicy,
    pub ingest: IngestConfig,
    pub judging: Judging,
    /// How often profiles and segment membership catch up with the log.
    pub refresh: Duration,
    pub caps: CapsConfig,
    /// Run journeys and deliver messages; off, journeys can be edited and nothing is sent.
    pub journeys: bool,
    /// How often waits that ended, dated triggers and retries are looked for.
    pub tick: Duration,
    pub channels: ChannelsConfig,
    /// Signs the subscription answer links (docs/subscriptions.md).
    pub subscription_links: rekindle_engine::subscription::Links,
    /// The public address tracked links are served at (`https://rekindle.shop.cn`, no
    /// trailing slash; docs/journeys.md, "Tracked links"). None: links go out untracked.
    pub link_base: Option<String>,
    /// Provider calls a minute per channel, per store (`[delivery]`).
    pub rates: rekindle_core::outreach::SendRates,
    pub wecom: WecomWork,
}

/// How often the WeCom relationship work runs (docs/relationships.md).
#[derive(Debug, Clone)]
pub struct WecomWork {
    /// Reconcile WeCom's friendships with the log; never when `None`.
    pub reconcile: Option<Duration>,
    /// Ask WeCom about customer transfers.
    pub poll: Duration,
}

/// The time as it is.
pub fn wall_clock() -> Clock {
    Arc::new(chrono::Utc::now)
}

/// The running services, shared by whoever serves them.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub ingestor: Ingestor,
    pub ingest_metrics: IngestMetrics,
    /// Profiles, stages, tiers and live segments per workspace.
    pub engine: Arc<Engine>,
    /// Journeys: walks people through them and queues their messages.
    pub runner: Arc<Runner>,
    /// The rooms of live sessions being watched, followed as events arrive.
    pub live: Arc<LiveRooms>,
    /// Tickets and conversations, followed from the log (docs/service.md).
    pub desk: Arc<rekindle_engine::service::ServiceDesk>,
    /// Each store's FAQ assistant.
    pub assistant: Arc<rekindle_engine::service::Assistant>,
    /// Awards the points events earn (docs/loyalty.md).
    pub points: Arc<rekindle_engine::loyalty::PointsFollower>,
    /// Judges member levels and records their changes (docs/loyalty.md, "Levels").
    pub levels: Arc<rekindle_engine::loyalty::LevelReview>,
    /// Each workspace's shared content, followed from the log (docs/ugc.md).
    pub ugc: Arc<rekindle_engine::ugc::UgcLibrary>,
    /// Each workspace's customer groups, followed from the log (docs/groups.md).
    pub groups: Arc<rekindle_engine::groups::GroupBook>,
    /// Each workspace's customer transfers between staff members (docs/relationships.md).
    pub transfers: Arc<rekindle_engine::transfers::TransferBook>,
    /// Each workspace's add-contact tasks for phone-only buyers (docs/relationships.md).
    pub reach: Arc<rekindle_engine::reach::ReachBook>,
    /// Writes the referral rewards invitations earned (docs/referral.md).
    pub referrals: Arc<rekindle_engine::referral::ReferralReview>,
    /// Subscriptions followed from the log; asks for each shipment's confirmation
    /// (docs/subscriptions.md).
    pub subscriptions: Arc<rekindle_engine::subscription::Subscriptions>,
    /// Each workspace's message providers: the file's, or what its owner set in the console
    /// (the WeCom client answers callbacks too).
    pub channels: Arc<ChannelDirectory>,
    /// The workspaces, for the loops that run on every append.
    pub workspaces: Arc<workspace_list::WorkspaceList>,
}

impl Services {
    /// Start ingestion, the segment refresh and (unless turned off) journeys and delivery, on
    /// the current Tokio runtime. `clock` is the one "now" of everything they judge and
    /// schedule: [`wall_clock`] outside tests.
    pub fn start(store: Arc<dyn Store>, settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let ingest_metrics = IngestMetrics::default();
        let engine = Arc::new(Engine::new(store.clone(), settings.judging, clock.clone(), settings.refresh));
        let ingestor = Ingestor::start(
            store.clone(),
            settings.identity.clone(),
            settings.ingest,
            ingest_metrics.clone(),
            Some(engine.log().clone()),
        );
        // Events ingested through other nodes wake this one's followers as its own do.
        store.on_appends_elsewhere(ingestor.waker());
        let assistant = Arc::new(rekindle_engine::service::Assistant::new(store.clone()));
        let desk = Arc::new(rekindle_engine::service::ServiceDesk::new(store.clone(), engine.log().clone()));
        let live = Arc::new(LiveRooms::new(store.clone(), engine.clone()).with_assistant(assistant.clone()));
        let runner = Arc::new(Runner::new(store.clone(), engine.clone(), settings.caps).with_live(live.clone()));
        let points =
            Arc::new(rekindle_engine::loyalty::PointsFollower::new(store.clone(), engine.clone(), live.clone()));
        let levels = Arc::new(rekindle_engine::loyalty::LevelReview::new(store.clone(), engine.clone()));
        let groups = Arc::new(rekindle_engine::groups::GroupBook::new(store.clone(), engine.log().clone()));
        let transfers = Arc::new(rekindle_engine::transfers::TransferBook::new(store.clone(), engine.log().clone()));
        let reach = Arc::new(rekindle_engine::reach::ReachBook::new(store.clone(), engine.log().clone()));
        let ugc = Arc::new(rekindle_engine::ugc::UgcLibrary::new(store.clone(), engine.log().clone()));
        let referrals = Arc::new(rekindle_engine::referral::ReferralReview::new(store.clone(), engine.clone()));
        let subscriptions = Arc::new(rekindle_engine::subscription::Subscriptions::new(
            store.clone(),
            engine.clone(),
            settings.subscription_links.clone(),
        ));
        let channels =
            Arc::new(ChannelDirectory::new(store.clone(), settings.channels).context("configuring [channels]")?);
        let services = Self {
            store: store.clone(),
            ingestor,
            ingest_metrics,
            engine,
            runner,
            live,
            desk,
            assistant,
            points,
            levels,
            referrals,
            groups,
            transfers,
            reach,
            ugc,
            subscriptions,
            channels: channels.clone(),
            workspaces: Arc::default(),
        };
        leadership_loop::spawn(services.clone());
        refresh_loop::spawn(services.clone(), settings.refresh);
        live_loop::spawn(services.clone());
        points_loop::spawn(services.clone());
        subscriptions_loop::spawn(services.clone(), settings.tick);
        winners_loop::spawn(services.clone());
        contacts_loop::spawn(services.clone(), settings.wecom.clone(), clock.clone());
        if settings.journeys {
            if settings.link_base.is_none() {
                tracing::warn!(
                    "public_url is not set: links in messages go out as written, untracked (no Message Clicked)"
                );
            }
            let config = DispatchConfig {
                link_base: settings.link_base.clone(),
                rates: settings.rates.clone(),
                ..DispatchConfig::default()
            };
            let dispatcher = Dispatcher::new(store, channels, clock, config, services.ingestor.clone());
            journey_loops::spawn(services.clone(), Arc::new(dispatcher), settings.tick);
        }
        Ok(services)
    }
}
