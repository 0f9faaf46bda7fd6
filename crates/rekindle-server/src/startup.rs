//! Building and running the application.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use rekindle_ingest::{IngestMetrics, Ingestor};
use rekindle_store::Store;
use rekindle_store_postgres::PostgresStore;
use rekindle_store_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tracing::Instrument;

use std::time::Duration;

use rekindle_delivery::Channels;
use rekindle_journeys::Runner;
use rekindle_journeys::dispatch::{DispatchConfig, Dispatcher};

use crate::auth::WriteKeyCache;
use crate::config::Config;
use crate::routes;
use crate::routes::ops::Metrics;
use crate::serve::{self, Limits};
use crate::state::AppState;

/// Open the store the configuration names: PostgreSQL with `database_url`, else SQLite in
/// `data_dir`. Migrations run on open.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &config.database_url {
        Some(url) => Arc::new(PostgresStore::connect(url.expose()).await.context("opening PostgreSQL")?),
        None => Arc::new(
            SqliteStore::open(&config.data_dir)
                .await
                .with_context(|| format!("opening the data dir {}", config.data_dir.display()))?,
        ),
    })
}

/// A built application: store open, ingestion running, listener bound.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    pub state: AppState,
}

impl App {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config).await?;
        Self::with_store(config, store).await
    }

    pub async fn with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        if config.api.admin_token.is_none() && store.count_users().await? == 0 {
            // Printed, not logged: it is an instruction for whoever started the server.
            println!(
                "No operator accounts yet. Create the first owner:\n  rekindle users create you@example.com --role owner"
            );
        }
        let ingest_metrics = IngestMetrics::default();
        let ingestor =
            Ingestor::start(store.clone(), config.identity.clone(), config.ingest.clone(), ingest_metrics.clone());
        let refresh = std::time::Duration::from_secs(config.segments.refresh_seconds.max(1));
        let clock: rekindle_engine::Clock = Arc::new(chrono::Utc::now);
        let engine =
            Arc::new(rekindle_engine::Engine::new(store.clone(), config.segments.judging(), clock.clone(), refresh));
        let runner = Arc::new(Runner::new(store.clone(), engine.clone(), config.journeys.caps.clone()));
        let channels = Arc::new(Channels::from_config(&config.channels).context("configuring [channels]")?);
        let state = AppState {
            store: store.clone(),
            ingestor,
            write_keys: WriteKeyCache::default(),
            admin_token: config.api.admin_token.clone(),
            auth: config.auth.clone(),
            login_limiter: Default::default(),
            search_limiter: Default::default(),
            engine,
            metrics: Arc::new(Metrics::new(&ingest_metrics)),
            runner,
            channels: channels.clone(),
            journeys: config.journeys.clone(),
        };
        spawn_refresh(state.clone(), refresh);
        if config.journeys.enabled {
            let dispatcher =
                Dispatcher::new(store.clone(), channels, clock, DispatchConfig::default(), config.identity.clone());
            crate::journeys::spawn(
                state.clone(),
                Arc::new(dispatcher),
                Duration::from_millis(config.journeys.tick_ms.max(10)),
            );
        }
        let open_files = serve::raise_open_files_limit().unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot read the open-files limit");
            1024
        });
        let limits = Limits::new(&config.http, open_files);
        let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        Ok(Self { listener, router: routes::router(state.clone()), limits, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serve until Ctrl-C / SIGTERM. In-flight requests finish; acknowledged events are
    /// already durable, so nothing is lost however the process ends.
    pub async fn run(self) -> anyhow::Result<()> {
        tracing::info!(
            addr = %self.local_addr(), store = self.state.store.backend(),
            max_connections = self.limits.max_connections, "serving"
        );
        serve::serve(self.listener, self.router, self.limits, shutdown_signal()).await?;
        Ok(())
    }

    /// Serve until the future resolves (tests).
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        serve::serve(self.listener, self.router, self.limits, stop).await?;
        Ok(())
    }
}

/// Keep every workspace's profiles and segment membership current, so entering and leaving
/// is recorded within `every` of the event that caused it, whether or not anyone is looking.
fn spawn_refresh(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut took: Option<std::time::Duration> = None;
        loop {
            // The pause is at least as long as the last refresh took: on a store so large
            // that judging everyone takes longer than `every`, refreshing keeps at most half a
            // core busy instead of one, and events and requests keep the rest.
            if let Some(took) = took {
                tokio::time::sleep(every.max(took)).await;
            }
            let started = std::time::Instant::now();
            // Fold what is applied: ingestion acknowledged it, so wait until it is readable.
            state.ingestor.settled(every).await;
            let workspaces = match state.store.workspaces().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "segment refresh cannot list workspaces");
                    took = Some(started.elapsed());
                    continue;
                }
            };
            for w in workspaces {
                match state.engine.refresh(w.id).instrument(tracing::info_span!("refresh", workspace = %w.slug)).await {
                    Ok((_, r)) => tracing::debug!(
                        workspace = %w.slug, folded = r.folded, entered = r.recorded.entered, left = r.recorded.left,
                        stage_changes = r.recorded.stage_changes, took_ms = started.elapsed().as_millis() as u64,
                        "segments refreshed"
                    ),
                    Err(e) => tracing::warn!(workspace = %w.slug, error = %e, "segment refresh failed"),
                }
            }
            took = Some(started.elapsed());
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
