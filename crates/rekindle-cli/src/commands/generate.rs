//! `rekindle generate`: a simulated store written as files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rekindle_sim::{Output, Simulation};

use crate::cli::GenerateArgs;

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let started = Instant::now();
    let sim = Simulation::new(args.sim.config());
    write_objects(&args.out.join("products.jsonl"), "product", &sim.products())?;
    write_objects(&args.out.join("sessions.jsonl"), "live_session", &sim.session_objects())?;
    let mut events = create(&args.out.join("events.jsonl"))?;
    let mut truth = create(&args.out.join("truth.jsonl"))?;
    // What the truth was drawn from: the window, the seed and the win-back programme's effect.
    let mut settings = create(&args.out.join("simulation.json"))?;
    serde_json::to_writer_pretty(&mut settings, sim.config())?;
    settings.flush()?;
    let written = sim.run(&mut Output { events: &mut events, truth: &mut truth }).context("writing events")?;
    events.flush()?;
    truth.flush()?;
    let bytes = std::fs::metadata(args.out.join("events.jsonl")).map(|m| m.len()).unwrap_or(0);
    println!(
        "{} people, {} days, {} live sessions: {written} events ({:.1} MB) in {:.1} s → {}",
        args.sim.people,
        args.sim.days,
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

/// Objects as `rekindle import` reads them: one JSON object per line with its `"object"` kind.
fn write_objects<T: serde::Serialize>(path: &Path, kind: &str, items: &[T]) -> anyhow::Result<()> {
    let mut out = create(path)?;
    for item in items {
        let mut value = serde_json::to_value(item)?;
        value["object"] = serde_json::json!(kind);
        serde_json::to_writer(&mut out, &value)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
