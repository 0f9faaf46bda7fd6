//! One module per subcommand.

mod backup;
pub(crate) mod bench;
mod demo;
mod erasure;
mod faq;
mod generate;
mod import;
mod keys;
mod people;
mod report;
mod score;
mod segment;
mod serve;
mod users;
mod workspaces;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use rekindle_core::WorkspaceId;
use rekindle_server::Config;
use rekindle_store::Store;

use crate::cli::{BenchCommand, Cli, Command, FaqCommand, Global, PeopleCommand};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Cli { global, command } = cli;
    match command {
        Command::Demo(args) => demo::run(&global, args).await,
        Command::Serve(args) => serve::run(&global, args).await,
        Command::Import(args) => import::run(&global, args).await,
        Command::Generate(args) => {
            if global.data_dir.is_some() || global.database_url.is_some() {
                anyhow::bail!(
                    "generate writes files to --out; --data-dir and --database-url do not apply (see --help)"
                );
            }
            generate::run(args)
        }
        Command::Keys { command } => keys::run(&global, command).await,
        Command::Segment { command } => segment::run(&global, command).await,
        Command::Score(args) => score::run(&global, args).await,
        Command::Report(args) => report::run(&global, args).await,
        Command::Users { command } => users::run(&global, command).await,
        Command::Workspaces { command } => workspaces::run(&global, command).await,
        Command::Migrate => {
            let config = load_config(&global, serde_json::json!({}))?;
            let store = crate::store::open(&config).await?;
            println!("{} store is up to date", store.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(args) => backup::backup(&global, &args.to),
        Command::Restore(args) => backup::restore(&global, &args.from),
        Command::People { command: PeopleCommand::Show { identifier, events, json } } => {
            people::show(&global, &identifier, events, json).await
        }
        Command::People { command: PeopleCommand::Erase { identifier, yes } } => {
            erasure::erase(&global, &identifier, yes).await
        }
        Command::People { command: PeopleCommand::Export { identifier } } => {
            erasure::export(&global, &identifier).await
        }
        Command::Bench { command: BenchCommand::Ingest(args) } => bench::ingest(&global, args).await,
        Command::Bench { command: BenchCommand::Segments(args) } => bench::segments(args),
        Command::Bench { command: BenchCommand::Refresh(args) } => bench::refresh(args),
        Command::Bench { command: BenchCommand::Models(args) } => bench::models(args),
        Command::Bench { command: BenchCommand::Journeys(args) } => bench::journeys(&global, args).await,
        Command::Bench { command: BenchCommand::Live(args) } => bench::live(&global, args).await,
        Command::Bench { command: BenchCommand::Reports(args) } => bench::reports(args),
        Command::Bench { command: BenchCommand::Faq(args) } => bench::faq(args),
        Command::Faq { command: FaqCommand::Ask(args) } => faq::ask(args),
        Command::Faq { command: FaqCommand::Eval(args) } => faq::eval(args),
    }
}

/// The layered configuration with this command line's global flags on top.
pub fn load_config(global: &Global, mut overrides: serde_json::Value) -> anyhow::Result<Config> {
    if let Some(dir) = &global.data_dir {
        overrides["data_dir"] = serde_json::json!(dir);
    }
    if let Some(url) = &global.database_url {
        overrides["database_url"] = serde_json::json!(url);
    }
    Config::load(global.config.as_deref(), overrides).context("reading configuration")
}

/// Open the configured store and find the workspace the command names.
pub async fn open(global: &Global) -> anyhow::Result<(Config, Arc<dyn Store>, WorkspaceId)> {
    let config = load_config(global, serde_json::json!({}))?;
    rekindle_server::telemetry::init(&rekindle_server::config::LogConfig {
        filter: "warn".into(),
        ..config.log.clone()
    });
    let store = crate::store::open(&config).await?;
    let ws = store
        .workspace_by_slug(&global.workspace)
        .await?
        .with_context(|| format!("no workspace {:?}", global.workspace))?;
    Ok((config, store, ws.id))
}

/// Everyone as the store stood at `now`, read from the log with a spinner counting events (a
/// large store takes a while); the models are fitted when `scored`.
pub async fn read_audience(
    store: &dyn Store,
    ws: WorkspaceId,
    now: chrono::DateTime<chrono::Utc>,
    judging: &rekindle_engine::Judging,
    scored: bool,
) -> anyhow::Result<rekindle_engine::Audience> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let audience = rekindle_engine::Audience::load_reporting(store, ws, now, judging, scored, |n| {
        bar.set_message(format!("{n} events read"));
        bar.tick();
    })
    .await?;
    bar.finish_and_clear();
    Ok(audience)
}
