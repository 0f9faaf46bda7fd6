//! `rekindle bench faq`: retrieval latency with a large knowledge base. The starter entries
//! are varied (a store's other products in their place) until there are `--entries`; the
//! questions are the entries' other phrasings, each tokenized as it is asked (nothing cached).

use std::process::ExitCode;
use std::time::Instant;

use rekindle_faq::{Entry, Index, Retriever, starter};

use crate::cli::BenchFaqArgs;

/// Products put in the starter entries' place to grow the knowledge base.
const PRODUCTS: [&str; 12] =
    ["蓝莓", "车厘子", "酸奶", "黑猪肉", "牛腱", "小米", "糙米", "菠菜", "西兰花", "鸭蛋", "虾仁", "饺子"];

fn grown(n: usize) -> Vec<Entry> {
    let base = starter();
    (0..n)
        .map(|i| {
            let mut e = base[i % base.len()].clone();
            if i >= base.len() {
                let p = PRODUCTS[(i / base.len()) % PRODUCTS.len()];
                let tag = format!("{p}{}", i / base.len());
                e.id = format!("{}-{i}", e.id);
                e.question = format!("{tag} {}", e.question);
                e.alternatives = e.alternatives.iter().map(|a| format!("{a} {tag}")).collect();
            }
            e
        })
        .collect()
}

pub fn faq(args: BenchFaqArgs) -> anyhow::Result<ExitCode> {
    let entries = grown(args.entries.max(1));
    let phrasings: usize = entries.iter().map(|e| e.phrasings().count()).sum();
    let questions: Vec<String> =
        entries.iter().flat_map(|e| e.alternatives.iter().cloned()).step_by(7).take(args.questions.max(1)).collect();
    let started = Instant::now();
    let index = Index::new(entries);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    // Once before timing: jieba's dictionary loads on first use.
    index.search("牛奶能放几天", 3);
    let mut micros: Vec<f64> = Vec::with_capacity(questions.len());
    let mut found = 0;
    for q in &questions {
        let t = Instant::now();
        found += index.search(q, 3).len().min(1);
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    micros.sort_by(f64::total_cmp);
    let at = |p: f64| micros[((micros.len() as f64 * p) as usize).min(micros.len() - 1)];
    println!("entries          {} ({phrasings} phrasings)", index.entries().len());
    println!("index built      {build_ms:.0} ms");
    println!("questions        {} ({found} with a hit)", questions.len());
    println!("latency          p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs", at(0.5), at(0.99), at(1.0));
    Ok(ExitCode::SUCCESS)
}
