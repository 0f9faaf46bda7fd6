//! Segment evaluation at scale: many profiles in memory with their row of columns
//! (`rekindle_rules::columnar`), one five-condition rule compiled and timed over the columns
//! (and, for reference, walked per profile); the same profiles written as a table and the same
//! rule run as SQL in DuckDB, side by side. All three must select the same people.

use std::io::Write;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rekindle_core::lifecycle::{LifecycleConfig, Stage};
use rekindle_core::message::{Arrival, Message};
use rekindle_core::money::Amounts;
use rekindle_core::profile::{Profile, ProfileEvent};
use rekindle_rules::columnar::{Columns, Compiled};
use rekindle_rules::{ProductTags, Sessions, Subject, parse};
use rekindle_sim::{SimConfig, Simulation};
use serde_json::Value;

use crate::cli::BenchSegmentsArgs;

/// Five conditions, each a different kind of work: a count, a windowed sum over orders, a
/// recency, engagement, and the lifecycle stage.
const RULE: &str = "orders >= 2 and spend(365d) >= ¥100 and days_since_order > 14 and watched within 30d \
                    and not lifecycle = churned";
const RUNS: usize = 5;

pub fn segments(args: BenchSegmentsArgs) -> anyhow::Result<ExitCode> {
    let config = SimConfig { people: args.people, days: 120, seed: args.seed, ..SimConfig::default() };
    let sim = Simulation::new(config.clone());
    let now: DateTime<Utc> = chrono::TimeZone::from_utc_datetime(
        &Utc,
        &(config.start + chrono::Days::new(u64::from(config.days))).and_hms_opt(0, 0, 0).expect("midnight"),
    );

    // Fold each simulated person's events, timing the fold: the per-event incremental cost.
    eprintln!("simulating and folding {} people…", args.people);
    let mut base = Vec::with_capacity(args.people as usize);
    let (mut events, mut folding) = (0u64, Duration::ZERO);
    for i in 0..args.people {
        let messages = sim.person(i).0;
        let parsed: Vec<(DateTime<Utc>, String, Value)> = messages.iter().filter_map(event).collect();
        let started = Instant::now();
        let mut p = Profile::default();
        for (at, name, payload) in &parsed {
            let properties = payload.get("properties").unwrap_or(&Value::Null);
            p.apply(ProfileEvent { at: *at, name, properties, amounts: Amounts::of(payload) });
        }
        folding += started.elapsed();
        events += parsed.len() as u64;
        base.push(p);
    }

    // Memory: the process's resident size before and after holding every profile and its
    // row of columns.
    let before = resident_bytes();
    let profiles: Vec<Profile> = (0..args.profiles).map(|i| base[i % base.len()].clone()).collect();
    let held = resident_bytes();
    let lifecycle = LifecycleConfig::default();
    let stages: Vec<Stage> = profiles.iter().map(|p| lifecycle.stage(p, now)).collect();
    let products = ProductTags::default();
    let sessions = Sessions::default();
    let subject = |row: usize| Subject { stage: stages[row], ..Subject::plain(&profiles[row], &products, &sessions) };
    let started = Instant::now();
    let mut columns = Columns::with_capacity(profiles.len());
    for row in 0..profiles.len() {
        columns.push(&subject(row));
    }
    let building = started.elapsed();
    let after = resident_bytes();

    let rule = parse(RULE).context("the bench rule")?;
    let compiled = Compiled::new(&rule);
    let median = |mut ms: Vec<f64>| {
        ms.sort_by(f64::total_cmp);
        (ms[ms.len() / 2], ms[0], ms[ms.len() - 1])
    };
    // The columns, the way segments are evaluated; the rule walked per profile for reference.
    let (mut columnar_ms, mut walk_ms) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    let (mut count, mut walked) = (0, 0);
    for _ in 0..RUNS {
        let started = Instant::now();
        count = compiled.select(&columns, now, subject).count_ones(..);
        columnar_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        walked = (0..profiles.len()).filter(|row| rule.matches(&subject(*row), now)).count();
        walk_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let (rekindle, fastest, slowest) = median(columnar_ms);
    let walk = median(walk_ms);

    println!("rule             {RULE}");
    println!(
        "profiles         {} ({} simulated people, repeated; {} days, seed {})",
        args.profiles, args.people, config.days, args.seed
    );
    println!("selected         {count}");
    println!(
        "rekindle         median {rekindle:.1} ms over {RUNS} runs (min {fastest:.1}, max {slowest:.1}), columnar"
    );
    println!(
        "per profile      median {:.1} ms over {RUNS} runs (min {:.1}, max {:.1}), the rule walked per profile, selected {walked}",
        walk.0, walk.1, walk.2
    );
    anyhow::ensure!(walked == count, "the columns and the rule walked per profile disagree");
    println!(
        "columns          built in {:.0} ms ({:.0} ns per profile), {} bytes per profile",
        building.as_secs_f64() * 1e3,
        building.as_nanos() as f64 / args.profiles.max(1) as f64,
        columns.heap_bytes() / args.profiles.max(1)
    );
    println!(
        "incremental      {:.0} ns per event ({events} events folded)",
        folding.as_nanos() as f64 / events.max(1) as f64
    );
    match (before, held, after) {
        (Some(b), Some(h), Some(a)) => println!(
            "memory           {:.0} bytes per profile (resident size growth, columns included: {:.0} the profiles, \
             {:.0} the columns and stages; Profile is {} bytes)",
            a.saturating_sub(b) as f64 / args.profiles as f64,
            h.saturating_sub(b) as f64 / args.profiles as f64,
            a.saturating_sub(h) as f64 / args.profiles as f64,
            size_of::<Profile>()
        ),
        _ => println!("memory           unknown (no /proc/self/statm)"),
    }

    let table = tempfile::Builder::new().suffix(".csv").tempfile().context("a temporary CSV")?;
    write_table(table.path(), &profiles, &stages, now)?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/duckdb_segments.py");
    let output = Command::new(&args.python).arg(script).arg(table.path()).arg(RUNS.to_string()).output();
    match output {
        Ok(o) if o.status.success() => {
            let result: Value = serde_json::from_slice(&o.stdout).context("reading the DuckDB result")?;
            let mut ms: Vec<f64> = result["ms"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
            ms.sort_by(f64::total_cmp);
            let duck_count = result["count"].as_u64().unwrap_or(0);
            println!(
                "duckdb {}     median {:.1} ms over {RUNS} runs, selected {duck_count}{}",
                result["duckdb"].as_str().unwrap_or("?"),
                ms[ms.len() / 2],
                if duck_count == count as u64 { " (the same count)" } else { " (A DIFFERENT COUNT)" }
            );
            println!("ratio            rekindle / duckdb = {:.2}", rekindle / ms[ms.len() / 2]);
            anyhow::ensure!(duck_count == count as u64, "DuckDB and Rekindle disagree on the rule");
        }
        Ok(o) => eprintln!("DuckDB not run: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")),
        Err(e) => eprintln!("DuckDB not run: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A simulated message as the store keeps it: through the ingestion parser, so its amounts
/// are read the way ingestion stores them.
pub(super) fn event(m: &Value) -> Option<(DateTime<Utc>, String, Value)> {
    let Value::Object(object) = m else { return None };
    let arrival = Arrival { received_at: Utc::now(), batch_sent_at: None, historical: true, batch_context: None };
    let message = Message::from_object(object.clone(), None, &arrival, b"bench").ok()?;
    let name = message.name.clone().unwrap_or_else(|| message.kind.as_str().to_string());
    Some((message.timestamp, name, message.payload_value()))
}

/// The columns the SQL side needs, computed from the same profiles at the same moment.
fn write_table(
    path: &std::path::Path,
    profiles: &[Profile],
    stages: &[Stage],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "orders,spend_365d_fen,days_since_order,days_since_live,stage")?;
    let days = |t: Option<DateTime<Utc>>| {
        t.map(|t| format!("{}", (now - t).num_seconds() as f64 / 86_400.0)).unwrap_or_default()
    };
    for (p, s) in profiles.iter().zip(stages) {
        writeln!(
            w,
            "{},{},{},{},{}",
            p.order_count(),
            p.spend_within(now, 365),
            days(p.last_order()),
            days(p.last_live),
            s.as_str()
        )?;
    }
    w.flush()?;
    Ok(())
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
