//! `rekindle backup` and `rekindle restore`: SQLite through `rekindle_store_sqlite::backup`,
//! PostgreSQL through its own tools (`pg_dump` / `pg_restore`), which know every object of the
//! database and its version's format better than we could.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context;

use crate::cli::Global;

/// The file a PostgreSQL backup is written to, inside the backup's directory.
const DUMP_FILE: &str = "rekindle.pgdump";

pub fn backup(global: &Global, to: &Path) -> anyhow::Result<ExitCode> {
    let config = super::load_config(global, serde_json::json!({}))?;
    match &config.database_url {
        None => {
            let files = rekindle_store_sqlite::backup::backup(&config.data_dir, to)?;
            println!("backed up {} into {} ({})", config.data_dir.display(), to.display(), files.join(", "));
        }
        Some(url) => {
            refuse_unless_empty(to)?;
            std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
            let file = to.join(DUMP_FILE);
            run(Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(&file)
                .arg(url.expose()))?;
            println!("backed up the PostgreSQL store into {}", file.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn restore(global: &Global, from: &Path) -> anyhow::Result<ExitCode> {
    let config = super::load_config(global, serde_json::json!({}))?;
    match &config.database_url {
        None => {
            let files = rekindle_store_sqlite::backup::restore(from, &config.data_dir)?;
            println!("restored {} into {} ({})", from.display(), config.data_dir.display(), files.join(", "));
        }
        Some(url) => {
            let file = from.join(DUMP_FILE);
            anyhow::ensure!(file.exists(), "no {DUMP_FILE} in {}", from.display());
            // Into an empty database only: restoring over a store would mix two histories.
            run(Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--single-transaction", "--dbname"])
                .arg(url.expose())
                .arg(&file))
            .context("restoring into a database that must be empty")?;
            println!("restored {} into the PostgreSQL store", file.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn refuse_unless_empty(dir: &Path) -> anyhow::Result<()> {
    let used = dir.read_dir().is_ok_and(|mut d| d.next().is_some());
    anyhow::ensure!(!used, "{} is not empty", dir.display());
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command.output().with_context(|| format!("running {program} (is it installed and on PATH?)"))?;
    anyhow::ensure!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    Ok(())
}
