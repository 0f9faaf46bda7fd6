//! `rekindle import`: files straight into the store, in transactions of `--batch` messages.

use std::fs::File;
use std::io::{BufReader, Write};
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use rekindle_core::Message;
use rekindle_core::WorkspaceId;
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::objects::Object;
use rekindle_ingest::import::{Format, Item, LineError, LineResult};
use rekindle_store::{AppendReport, Source, Store};

use crate::cli::{Global, ImportArgs};

pub async fn run(global: &Global, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let (config, store, ws) = super::open(global).await?;
    let total_bytes: u64 = args.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(total_bytes) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut errors_out = match &args.errors {
        Some(p) => Some(File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => None,
    };
    let mut report = Imported::default();
    let mut rejected = 0u64;
    let mut done_bytes = 0u64;
    for path in &args.files {
        let format = Format::from_path(path)
            .with_context(|| format!("{}: unknown format; use .jsonl, .ndjson or .csv", path.display()))?;
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let source = Source::import(&path.display().to_string());
        let mut on_error = |e: LineError| -> anyhow::Result<()> {
            rejected += 1;
            let line = serde_json::json!({"file": path.display().to_string(), "line": e.line, "field": e.field, "reason": e.reason});
            match errors_out.as_mut() {
                Some(out) => writeln!(out, "{line}").context("writing the error report")?,
                None => bar.suspend(|| eprintln!("{}:{}: {}: {}", path.display(), e.line, e.field, e.reason)),
            }
            Ok(())
        };
        let mut lines = format.reader(BufReader::with_capacity(1 << 20, file), Utc::now());
        let r = import_lines(
            &*store,
            ws,
            &source,
            &config.identity,
            args.batch,
            &mut || {
                let next = lines.next();
                bar.set_position(done_bytes + lines.bytes_read());
                next
            },
            &mut on_error,
        )
        .await?;
        report.add(r);
        done_bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    }
    bar.finish_and_clear();
    let e = report.events;
    println!(
        "imported {} events ({} already present), {} people created, {} merges, {} identity conflicts; \
         {} products, {} live sessions; {} lines refused",
        e.stored, e.duplicates, e.people_created, e.merges, e.conflicts, report.products, report.sessions, rejected
    );
    if let Some(p) = &args.errors
        && rejected > 0
    {
        println!("refused lines are listed in {}", p.display());
    }
    Ok(if rejected > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// What an import wrote.
#[derive(Default)]
struct Imported {
    events: AppendReport,
    products: usize,
    sessions: usize,
}

impl Imported {
    fn add(&mut self, other: Imported) {
        self.events.add(other.events);
        self.products += other.products;
        self.sessions += other.sessions;
    }
}

async fn import_lines(
    store: &dyn Store,
    ws: WorkspaceId,
    source: &Source,
    policy: &IdentityPolicy,
    batch: usize,
    next: &mut dyn FnMut() -> Option<LineResult>,
    on_error: &mut dyn FnMut(LineError) -> anyhow::Result<()>,
) -> anyhow::Result<Imported> {
    let mut report = Imported::default();
    let mut pending: Vec<Message> = Vec::with_capacity(batch);
    let (mut products, mut sessions) = (Vec::new(), Vec::new());
    loop {
        let finished = match next() {
            Some(Ok(Item::Message(m))) => {
                pending.push(m);
                false
            }
            Some(Ok(Item::Object(Object::Product(p)))) => {
                products.push(p);
                false
            }
            Some(Ok(Item::Object(Object::LiveSession(s)))) => {
                sessions.push(s);
                false
            }
            Some(Err(e)) => {
                on_error(e)?;
                false
            }
            None => true,
        };
        if pending.len() >= batch.max(1) || (finished && !pending.is_empty()) {
            let chunk = std::mem::replace(&mut pending, Vec::with_capacity(batch));
            report.events.add(store.append(ws, chunk, source, policy).await.context("writing to the store")?);
        }
        if finished {
            // Catalogues and schedules are small: one write each.
            report.products = products.len();
            report.sessions = sessions.len();
            if !products.is_empty() {
                store.put_products(ws, products).await.context("writing products")?;
            }
            if !sessions.is_empty() {
                store.put_live_sessions(ws, sessions).await.context("writing live sessions")?;
            }
            return Ok(report);
        }
    }
}
