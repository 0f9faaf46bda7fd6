//! `rekindle generate`: a simulated store written as files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rekindle_sim::{Output, SimConfig, Simulation};

use crate::cli::GenerateArgs;

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let started = Instant::now();
    let sim = Simulation::new(SimConfig { people: args.people, days: args.days, seed: args.seed, start: args.start });
    write_lines(&args.out.join("products.jsonl"), sim.products())?;
    write_lines(&args.out.join("sessions.jsonl"), sim.sessions())?;
    let mut events = create(&args.out.join("events.jsonl"))?;
    let mut truth = create(&args.out.join("truth.jsonl"))?;
    let written = sim.run(&mut Output { events: &mut events, truth: &mut truth }).context("writing events")?;
    events.flush()?;
    truth.flush()?;
    let bytes = std::fs::metadata(args.out.join("events.jsonl")).map(|m| m.len()).unwrap_or(0);
    println!(
        "{} people, {} days, {} live sessions: {written} events ({:.1} MB) in {:.1} s → {}",
        args.people,
        args.days,
        sim.sessions().len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(1 << 20, File::create(path).with_context(|| format!("creating {}", path.display()))?))
}

fn write_lines<T: serde::Serialize>(path: &Path, items: &[T]) -> anyhow::Result<()> {
    let mut out = create(path)?;
    for item in items {
        serde_json::to_writer(&mut out, item)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
