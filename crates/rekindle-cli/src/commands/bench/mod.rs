//! `rekindle bench`: measurements for docs/benchmarks.md. Benchmarks, not tests: they print
//! figures and check only that every event arrived.

mod faq;
mod histograms;
mod ingest;
mod journeys;
mod live;
mod models;
mod refresh;
mod reports;
mod segments;
mod sensors_wire;
pub(crate) mod traffic;

pub use faq::faq;
pub use ingest::ingest;
pub use journeys::journeys;
pub use live::live;
pub use models::models;
pub use refresh::refresh;
pub use reports::reports;
pub use segments::segments;

/// A server for a benchmark on a temporary data dir (unless one is given), with the admin
/// token `bench` and a write key; quiet unless `REKINDLE__LOG__FILTER` asks. The directory
/// lives as long as the first value.
pub(crate) struct Bench {
    pub _temp: tempfile::TempDir,
    pub app: rekindle_server::App,
    pub ws: rekindle_core::WorkspaceId,
    pub key: String,
}

pub(crate) async fn bench_server(global: &crate::cli::Global) -> anyhow::Result<Bench> {
    use anyhow::Context;
    let temp = tempfile::tempdir().context("making a temporary data dir")?;
    let mut global = global.clone();
    if global.data_dir.is_none() && global.database_url.is_none() {
        global.data_dir = Some(temp.path().to_path_buf());
    }
    let mut config = super::load_config(&global, serde_json::json!({"listen": "127.0.0.1:0"}))?;
    config.api.admin_token = Some(rekindle_server::config::Secret::new("bench"));
    if std::env::var_os("REKINDLE__LOG__FILTER").is_some() {
        rekindle_server::telemetry::init(&config.log);
    }
    let store = crate::store::open(&config).await?;
    let app = rekindle_server::App::with_store(config, store).await?;
    let store = &app.state.store;
    let ws = store.workspace_by_slug(rekindle_store::DEFAULT_WORKSPACE).await?.context("default workspace")?.id;
    let (key, _) =
        rekindle_ingest::write_keys::create(&**store, ws, "bench").await?.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Bench { _temp: temp, app, ws, key })
}

/// Store a bench's history straight into the store (past the HTTP API: it is setting, not what
/// is measured), emptying `batch`.
pub(crate) async fn store_history(
    store: &dyn rekindle_store::Store,
    ws: rekindle_core::WorkspaceId,
    batch: &mut Vec<serde_json::Value>,
    arrival: &rekindle_core::message::Arrival<'_>,
) -> anyhow::Result<()> {
    let messages: Vec<rekindle_core::Message> = batch
        .drain(..)
        .map(|j| rekindle_core::Message::parse(&j.to_string(), None, arrival))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.reason))?;
    let source = rekindle_store::Source("bench".into());
    store.append(ws, messages, &source, &rekindle_core::identity::IdentityPolicy::default()).await?;
    Ok(())
}

/// CPU time a clock has counted: `CLOCK_THREAD_CPUTIME_ID` for this thread's,
/// `CLOCK_PROCESS_CPUTIME_ID` for every thread of the process.
pub(crate) fn cpu_time(clock: libc::clockid_t) -> std::time::Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to write into.
    let ok = unsafe { libc::clock_gettime(clock, &mut t) } == 0;
    if ok { std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32) } else { std::time::Duration::ZERO }
}
