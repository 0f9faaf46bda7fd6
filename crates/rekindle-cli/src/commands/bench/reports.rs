//! `rekindle bench reports`: the monthly first-order cohort matrix (ordered, active, revenue)
//! over millions of simulated events, and DuckDB running the same cohort SQL over the same
//! events in the same run. The two matrices must agree cell by cell.

use std::io::Write;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, SecondsFormat, Utc};
use rekindle_core::PersonId;
use rekindle_core::calendar::{Calendar, Grain};
use rekindle_core::events::ORDER_COMPLETED;
use rekindle_core::message::{Arrival, Message};
use rekindle_core::profile::Profile;
use rekindle_engine::folded::{fold_into, profile_event};
use rekindle_engine::measure::Window;
use rekindle_engine::measure::cohorts::{CohortBy, Cohorts, cohorts};
use rekindle_sim::{SimConfig, Simulation};
use rekindle_store::StoredEvent;
use serde_json::Value;

use crate::cli::BenchReportsArgs;

const RUNS: usize = 5;
/// A calendar year of history: twelve monthly cohorts, January's followed for twelve months.
const START: NaiveDate = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
const DAYS: u32 = 365;
/// The DuckDB input: one row per event, its instant in UTC (RFC 3339 with `Z`); the SQL puts it
/// in the store's calendar. Revenue in fen on orders, empty otherwise.
const HEADER: [&str; 4] = ["person", "at_utc", "name", "revenue_fen"];

/// One cell of the matrix as both sides report it: cohort (its first day), period, eligible,
/// ordered, active, revenue in fen.
type Cell = (String, u32, u64, u64, u64, i64);

pub fn reports(args: BenchReportsArgs) -> anyhow::Result<ExitCode> {
    // People are drawn one at a time; the count in the config is not used. The rest is the
    // simulator's default store, its win-back programme included.
    let config = SimConfig { people: 0, days: DAYS, seed: args.seed, start: START, ..SimConfig::default() };
    let sim = Simulation::new(config);
    let cal = Calendar::default();
    // Reports run on the window's last day, over every first order in it.
    let today = START + chrono::Days::new(u64::from(DAYS) - 1);
    let window = Window { from: START, to: today };

    let temporary = tempfile::Builder::new().suffix(".csv").tempfile().context("a temporary CSV")?;
    let table = args.csv.as_deref().unwrap_or(temporary.path());
    let mut csv = csv::Writer::from_path(table).with_context(|| format!("creating {}", table.display()))?;
    csv.write_record(HEADER)?;
    eprintln!("simulating, folding and writing {} events…", args.events);
    let mut profiles: Vec<Profile> = Vec::new();
    let (mut events, mut folding) = (0u64, Duration::ZERO);
    while events < args.events {
        let person = profiles.len() as u64;
        let stored = stored_events(sim.person(person).0)?;
        let started = Instant::now();
        let mut p = Profile::default();
        for e in &stored {
            fold_into(&mut p, e, &cal);
        }
        folding += started.elapsed();
        let orders = write_events(&mut csv, person, &stored)?;
        // The SQL counts every order event; the profile keeps one order per order id.
        anyhow::ensure!(
            orders == p.orders.len(),
            "person {person}: {orders} orders sent, {} kept (a repeated order id)",
            p.orders.len()
        );
        events += stored.len() as u64;
        profiles.push(p);
    }
    csv.flush().context("writing the events CSV")?;
    drop(csv);

    // Wall time is the comparison; the CPU time beside it shows what other processes took.
    let (mut rekindle_ms, mut rekindle_cpu_ms) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    let mut matrix = None;
    for _ in 0..RUNS {
        let (started, cpu) = (Instant::now(), super::cpu_time(libc::CLOCK_THREAD_CPUTIME_ID));
        let m = cohorts(profiles.iter(), &cal, today, window, Grain::Month, CohortBy::FirstOrder);
        rekindle_ms.push(started.elapsed().as_secs_f64() * 1e3);
        rekindle_cpu_ms.push((super::cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - cpu).as_secs_f64() * 1e3);
        matrix = Some(m);
    }
    rekindle_ms.sort_by(f64::total_cmp);
    rekindle_cpu_ms.sort_by(f64::total_cmp);
    let matrix = matrix.expect("at least one run");
    let ours = cells(&matrix);

    println!("report           monthly cohorts by first order, {START} to {today}, in {}", cal.tz.name());
    println!("events           {events} ({DAYS} days, seed {})", args.seed);
    println!("people           {}", profiles.len());
    println!("buyers           {}", matrix.cohorts.iter().map(|c| c.buyers).sum::<u64>());
    println!("cohorts          {} ({} cells)", matrix.cohorts.len(), ours.len());
    println!(
        "fold             {:.0} ns per event ({:.2} s, profiles with active local days)",
        folding.as_nanos() as f64 / events.max(1) as f64,
        folding.as_secs_f64()
    );
    println!(
        "rekindle         median {:.1} ms over {RUNS} runs (min {:.1}, max {:.1}); CPU median {:.1} ms, one thread",
        rekindle_ms[RUNS / 2],
        rekindle_ms[0],
        rekindle_ms[RUNS - 1],
        rekindle_cpu_ms[RUNS / 2]
    );

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/duckdb_reports.py");
    let output = Command::new(&args.python)
        .arg(script)
        .arg(table)
        .arg(RUNS.to_string())
        .arg(cal.tz.name())
        .arg(window.from.to_string())
        .arg(window.to.to_string())
        .arg(today.to_string())
        .output();
    match output {
        Ok(o) if o.status.success() => {
            let result: Value = serde_json::from_slice(&o.stdout).context("reading the DuckDB result")?;
            let rows = result["rows"].as_u64().unwrap_or(0);
            anyhow::ensure!(rows == events, "DuckDB loaded {rows} events of {events}");
            let ms = timings(&result["ms"])?;
            println!(
                "duckdb {}     median {:.1} ms over {} runs (min {:.1}, max {:.1}); CPU median {:.1} ms, {} threads; loading {:.0} ms, not counted",
                result["duckdb"].as_str().unwrap_or("?"),
                ms[ms.len() / 2],
                ms.len(),
                ms[0],
                ms[ms.len() - 1],
                median(&result["cpu_ms"])?,
                result["threads"].as_u64().unwrap_or(0),
                result["load_ms"].as_f64().unwrap_or(f64::NAN)
            );
            agree(&ours, &their_cells(&result["cells"])?)?;
            let local = &result["local_day"];
            let local_ms = timings(&local["ms"])?;
            println!(
                "duckdb, day kept median {:.1} ms (min {:.1}, max {:.1}); CPU median {:.1} ms: the local day stored at load ({:.0} ms, not counted)",
                local_ms[local_ms.len() / 2],
                local_ms[0],
                local_ms[local_ms.len() - 1],
                median(&local["cpu_ms"])?,
                local["load_ms"].as_f64().unwrap_or(f64::NAN)
            );
            agree(&ours, &their_cells(&local["cells"])?)?;
            println!("matrices         the same, cell by cell ({} cells, both queries)", ours.len());
            println!(
                "ratio            rekindle / duckdb = {:.2} ({:.2} against the local day kept)",
                rekindle_ms[RUNS / 2] / ms[ms.len() / 2],
                rekindle_ms[RUNS / 2] / local_ms[local_ms.len() / 2]
            );
        }
        Ok(o) => eprintln!("DuckDB not run: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")),
        Err(e) => eprintln!("DuckDB not run: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A simulated person's messages as the store keeps them: through the ingestion parser (so
/// amounts are annotated in fen), one person, historical timestamps.
fn stored_events(messages: Vec<Value>) -> anyhow::Result<Vec<StoredEvent>> {
    let person = PersonId::new_v7();
    let arrival = Arrival { received_at: Utc::now(), batch_sent_at: None, historical: true, batch_context: None };
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        let Value::Object(object) = m else { anyhow::bail!("a simulated message that is not an object") };
        let message = Message::from_object(object, None, &arrival, b"bench").context("a simulated message")?;
        out.push(StoredEvent {
            id: out.len() as i64,
            person,
            payload: message.payload_value(),
            message_id: message.message_id,
            kind: message.kind,
            name: message.name,
            timestamp: message.timestamp,
            received_at: message.received_at,
        });
    }
    Ok(out)
}

/// One person's events as rows of [`HEADER`], read as the fold reads them (an order's revenue
/// as `Profile::apply` takes it). Returns how many were orders.
fn write_events<W: Write>(out: &mut csv::Writer<W>, person: u64, events: &[StoredEvent]) -> anyhow::Result<usize> {
    let person = person.to_string();
    let mut orders = 0;
    for e in events {
        let read = profile_event(e);
        let revenue = if read.name == ORDER_COMPLETED {
            orders += 1;
            read.amounts.get("revenue", read.properties.get("revenue")).get().to_string()
        } else {
            String::new()
        };
        let at = e.timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        out.write_record([person.as_str(), &at, read.name, &revenue])?;
    }
    Ok(orders)
}

/// Run times in ms, sorted.
fn timings(v: &Value) -> anyhow::Result<Vec<f64>> {
    let mut ms: Vec<f64> = v.as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
    anyhow::ensure!(!ms.is_empty(), "DuckDB reported no runs");
    ms.sort_by(f64::total_cmp);
    Ok(ms)
}

fn median(v: &Value) -> anyhow::Result<f64> {
    let ms = timings(v)?;
    Ok(ms[ms.len() / 2])
}

/// Every cell of the matrix, in cohort and period order.
fn cells(m: &Cohorts) -> Vec<Cell> {
    m.cohorts
        .iter()
        .flat_map(|c| c.cells.iter().map(|x| (c.key.clone(), x.period, x.eligible, x.ordered, x.active, x.revenue_fen)))
        .collect()
}

/// The cells of the DuckDB result: `[[cohort, period, eligible, ordered, active, revenue], …]`.
fn their_cells(v: &Value) -> anyhow::Result<Vec<Cell>> {
    let rows = v.as_array().context("DuckDB's cells are not a list")?;
    rows.iter()
        .map(|r| {
            let f = r.as_array().filter(|f| f.len() == 6).context("a DuckDB cell is not six fields")?;
            let n =
                |i: usize| f[i].as_i64().with_context(|| format!("field {i} of a DuckDB cell is not a whole number"));
            Ok((
                f[0].as_str().context("a DuckDB cohort is not text")?.to_string(),
                u32::try_from(n(1)?)?,
                u64::try_from(n(2)?)?,
                u64::try_from(n(3)?)?,
                u64::try_from(n(4)?)?,
                n(5)?,
            ))
        })
        .collect()
}

/// Both matrices have the same cells with the same figures; otherwise the first difference.
fn agree(ours: &[Cell], theirs: &[Cell]) -> anyhow::Result<()> {
    for (a, b) in ours.iter().zip(theirs) {
        anyhow::ensure!(a == b, "the matrices disagree: Rekindle has {a:?}, DuckDB {b:?}");
    }
    anyhow::ensure!(
        ours.len() == theirs.len(),
        "the matrices disagree: Rekindle has {} cells, DuckDB {}",
        ours.len(),
        theirs.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests;
