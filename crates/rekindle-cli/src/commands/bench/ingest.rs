//! Ingest throughput: a fresh store, a server on a loopback port, and concurrent clients
//! posting `/v1/batch` (or Sensors Data `/sa`) requests as fast as the server acknowledges them.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rekindle_core::WorkspaceId;
use rekindle_store::Store;

use super::traffic::{self, Format};
use crate::cli::{BenchIngestArgs, Global};
use clap::ValueEnum;

pub async fn ingest(global: &Global, args: BenchIngestArgs) -> anyhow::Result<ExitCode> {
    let super::Bench { _temp, app, ws, key } = super::bench_server(global).await?;
    let addr = app.local_addr();
    let store = app.state.store.clone();
    let backend = store.backend();
    let before = store.horizon(ws).await?.event;
    let metrics = app.state.metrics.clone();
    let ingestor = app.state.ingestor.clone();
    let server = tokio::spawn(app.run_until(std::future::pending()));

    let run = format!("bench{}", chrono::Utc::now().timestamp_millis());
    let requests = args.events.div_ceil(args.batch.max(1));
    eprintln!("simulating {requests} requests of {} events…", args.batch);
    let bodies = traffic::batches(args.format, args.seed, args.people, &run, requests, args.batch, args.historical)?;
    let bytes: usize = bodies.iter().map(Vec::len).sum();

    rekindle_delivery::install_crypto_provider();
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients).build()?;
    let (url, content_type) = match args.format {
        Format::Segment => (format!("http://{addr}/v1/batch"), "application/json"),
        Format::Sensors => (format!("http://{addr}/sa?token={key}"), "application/x-www-form-urlencoded"),
    };
    let latencies = Arc::new(std::sync::Mutex::new(Vec::with_capacity(requests)));
    eprintln!("sending {} events over {} clients to {backend}…", requests * args.batch, args.clients);
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(bodies)
        .map(|body| {
            let (client, url, key, latencies) = (client.clone(), url.clone(), key.clone(), latencies.clone());
            async move {
                let t = Instant::now();
                let response = client
                    .post(&url)
                    .basic_auth(&key, Some(""))
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                anyhow::ensure!(status.is_success(), "HTTP {status}: {}", response.text().await.unwrap_or_default());
                latencies.lock().unwrap_or_else(|p| p.into_inner()).push(t.elapsed());
                Ok(())
            }
        })
        .buffer_unordered(args.clients.max(1))
        .collect()
        .await;
    let acknowledged = started.elapsed();
    for r in results {
        r?;
    }
    // Sustained means stored and readable, not only acknowledged: the clock stops once
    // everything acknowledged is applied to the store.
    anyhow::ensure!(ingestor.settled(Duration::from_secs(600)).await, "ingestion did not catch up");
    let elapsed = started.elapsed();
    server.abort();
    let stored = stored_of_run(&*store, ws, before, &run, args.format).await?;
    let sent = (requests * args.batch) as u64;
    anyhow::ensure!(stored == sent, "sent {sent} events but {stored} were stored");

    let mut lat = latencies.lock().unwrap_or_else(|p| p.into_inner()).clone();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(Duration::ZERO)
    };
    let rate = sent as f64 / elapsed.as_secs_f64();
    println!("backend          {backend}");
    println!(
        "format           {}",
        args.format.to_possible_value().map_or_else(String::new, |v| v.get_name().to_string())
    );
    println!(
        "events           {sent} in {requests} requests of {} ({:.1} MB of bodies)",
        args.batch,
        bytes as f64 / 1e6
    );
    println!("clients          {}", args.clients);
    println!("timestamps       {}", if args.historical { "historical (60 days)" } else { "live (as sent)" });
    println!(
        "elapsed          {:.2} s (last acknowledgement at {:.2} s)",
        elapsed.as_secs_f64(),
        acknowledged.as_secs_f64()
    );
    println!("throughput       {rate:.0} events/s");
    println!(
        "request latency  p50 {:.1} ms, p99 {:.1} ms",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
    println!("stored           {stored} (every acknowledged event, each once)");
    let text = metrics.encode();
    let read =
        |name: &str| -> f64 { text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or(0.0) };
    let inbox_writes = read("rekindle_ingest_inbox_seconds_count ");
    if inbox_writes > 0.0 {
        println!(
            "inbox writes     {inbox_writes:.0}, {:.0} messages and {:.1} ms each on average",
            sent as f64 / inbox_writes,
            read("rekindle_ingest_inbox_seconds_sum ") * 1e3 / inbox_writes
        );
    }
    let commits = read("rekindle_ingest_commits_total ");
    if commits > 0.0 {
        println!(
            "store appends    {commits:.0}, {:.0} messages and {:.1} ms each on average",
            read("rekindle_ingest_commit_messages_sum ") / commits,
            read("rekindle_ingest_commit_seconds_sum ") * 1e3 / commits
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// How many of this run's messages the store holds, past the log position `after`. Counted
/// by message id (run-prefixed; for Sensors, the ids made of the `_track_id`s the run's
/// message ids were hashed into), not by the log's total: the runtime appends events of its own
/// beside them while the run lasts (`Level Changed`, `Referral Qualified`), more of them the
/// slower the run.
async fn stored_of_run(
    store: &dyn Store,
    ws: WorkspaceId,
    after: i64,
    run: &str,
    format: Format,
) -> anyhow::Result<u64> {
    const PAGE: u32 = 10_000;
    let upto = store.horizon(ws).await?.event;
    let prefix = format!("{run}-");
    let mut seen = std::collections::HashSet::new();
    let mut cursor = after;
    loop {
        let page = store.events_between(ws, cursor, upto, PAGE).await?;
        let Some(last) = page.last() else { break };
        cursor = last.id;
        for e in page {
            let id = match format {
                Format::Segment => Some(e.message_id.clone()).filter(|id| id.starts_with(&prefix)),
                Format::Sensors => Some(e.message_id.clone()).filter(|id| id.starts_with("sensors-")),
            };
            if let Some(id) = id {
                anyhow::ensure!(seen.insert(id.clone()), "message {id} was stored twice");
            }
        }
    }
    Ok(seen.len() as u64)
}
