//! Building and running the application.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use rekindle_store::Store;
use tokio::net::TcpListener;

use rekindle_runtime::Services;

use crate::auth::WriteKeyCache;
use crate::config::Config;
use crate::routes;
use crate::routes::ops::Metrics;
use crate::serve::{self, Limits};
use crate::state::AppState;

/// A built application: store open, ingestion running, listener bound.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    pub state: AppState,
}

impl App {
    /// Start the services over `store` (see [`rekindle_runtime::Services`]) and bind the
    /// listener. Which store is the binary's choice.
    pub async fn with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        Self::with_clock(config, store, rekindle_runtime::wall_clock()).await
    }

    /// As [`App::with_store`], with the time held by `clock` (tests pin it).
    pub async fn with_clock(
        config: Config,
        store: Arc<dyn Store>,
        clock: rekindle_runtime::Clock,
    ) -> anyhow::Result<Self> {
        if config.api.admin_token.is_none() && store.count_users().await? == 0 {
            // Printed, not logged: it is an instruction for whoever started the server.
            println!(
                "No operator accounts yet. Create the first owner:\n  rekindle users create you@example.com --role owner"
            );
        }
        let services = Services::start(store, config.runtime(), clock)?;
        let state = AppState {
            store: services.store.clone(),
            ingestor: services.ingestor.clone(),
            write_keys: WriteKeyCache::default(),
            admin_token: config.api.admin_token.clone(),
            auth: config.auth.clone(),
            login_limiter: Default::default(),
            search_limiter: Default::default(),
            engine: services.engine.clone(),
            metrics: Arc::new(Metrics::new(&services.ingest_metrics, services.runner.metrics(), &*services.store)),
            runner: services.runner.clone(),
            live: services.live.clone(),
            desk: services.desk.clone(),
            groups: services.groups.clone(),
            transfers: services.transfers.clone(),
            reach: services.reach.clone(),
            ugc: services.ugc.clone(),
            assistant: services.assistant.clone(),
            points: services.points.clone(),
            subscriptions: services.subscriptions.clone(),
            channels: services.channels.clone(),
            journeys: config.journeys.clone(),
            kf_cursors: Default::default(),
        };
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
