//! `rekindle faq`: ask the knowledge base, or measure it on labelled questions beside the
//! character-bigram baseline (docs/service.md, "FAQ assistant").

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use rekindle_faq::eval::{Labelled, Metrics, best, choose_threshold, metrics, read};
use rekindle_faq::{Bigrams, Entry, Index, Retriever, starter};

use crate::cli::{FaqAskArgs, FaqEvalArgs};

fn knowledge(kb: Option<&Path>) -> anyhow::Result<Vec<Entry>> {
    let Some(path) = kb else { return Ok(starter()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let entries: Vec<Entry> = serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    for (i, e) in entries.iter().enumerate() {
        if let Some(p) = e.check().into_iter().next() {
            anyhow::bail!("{}: entry {i} ({}): {} {}", path.display(), e.id, p.field, p.reason);
        }
    }
    Ok(entries)
}

pub fn ask(args: FaqAskArgs) -> anyhow::Result<ExitCode> {
    let index = Index::new(knowledge(args.kb.as_deref())?);
    let hits = index.search(&args.question, args.top.max(1));
    match hits.first() {
        Some(h) if h.confidence >= args.threshold => {
            println!("answer ({:.2}): {}", h.confidence, index.entries()[h.entry].answer);
        }
        _ => println!("hand-off: no entry is confident enough (threshold {:.2})", args.threshold),
    }
    for h in &hits {
        println!("  {:.2}  {:<28} {}", h.confidence, h.id, index.entries()[h.entry].question);
    }
    Ok(ExitCode::SUCCESS)
}

fn labelled(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    read(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn line(name: &str, m: &Metrics) {
    println!(
        "{name:<10} {:>9.1}% {:>9.2} {:>9.1}% {:>9.1}% {:>8.1}%  ({} of {} answered, {} right)",
        m.top1_accuracy * 100.0,
        m.threshold,
        m.precision * 100.0,
        m.handoff_rate * 100.0,
        m.recall * 100.0,
        m.answered,
        m.questions,
        m.correct
    );
}

pub fn eval(args: FaqEvalArgs) -> anyhow::Result<ExitCode> {
    let entries = knowledge(args.kb.as_deref())?;
    let known: std::collections::HashSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let held = labelled(&args.file)?;
    let tune = labelled(&args.tune)?;
    for q in held.iter().chain(&tune) {
        anyhow::ensure!(
            q.entry == "none" || known.contains(q.entry.as_str()),
            "{:?} is labelled with an unknown entry {}",
            q.question,
            q.entry
        );
    }
    let overlap: Vec<&str> =
        held.iter().filter(|q| tune.iter().any(|t| t.question == q.question)).map(|q| q.question.as_str()).collect();
    anyhow::ensure!(overlap.is_empty(), "questions in both the held-out and the tuning set: {overlap:?}");
    println!("knowledge base  {} entries", entries.len());
    println!(
        "held out        {} questions ({} with no entry)",
        held.len(),
        held.iter().filter(|q| q.entry == "none").count()
    );
    println!("tuning          {} questions; thresholds chosen there", tune.len());
    println!();
    println!("{:<10} {:>10} {:>9} {:>10} {:>10} {:>9}", "", "top-1", "threshold", "precision", "hand-off", "recall");
    let index = Index::new(entries.clone());
    let bigrams = Bigrams::new(&entries);
    for (name, r) in [("bm25", &index as &dyn Retriever), ("bigrams", &bigrams as &dyn Retriever)] {
        let threshold = choose_threshold(&tune, &best(r, &tune));
        line(name, &metrics(&held, &best(r, &held), threshold));
    }
    Ok(ExitCode::SUCCESS)
}
