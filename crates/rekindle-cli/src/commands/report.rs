//! `rekindle report`: one report over the store's local days, as a table or CSV — the same
//! engine road the API and the console take.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{Duration, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use rekindle_core::calendar::Grain;
use rekindle_core::csv_cell;
use rekindle_engine::Audience;
use rekindle_engine::measure::cohorts::CohortBy;
use rekindle_engine::measure::{Kind, Query, Window, answer};
use rekindle_rules::Lang;

use crate::cli::{Global, ReportArgs};

pub async fn run(global: &Global, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let kind = Kind::parse(&args.kind).with_context(|| {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("no report {:?}; one of: {}", args.kind, all.join(", "))
    })?;
    let grain = Grain::parse(&args.grain).context("--grain: day, week or month")?;
    let by = CohortBy::parse(&args.by).context("--by: first_order, source, first_live or first_category")?;
    let lang = match args.lang.as_str() {
        "zh-CN" | "zh" => Lang::ZhCn,
        "en" => Lang::En,
        other => bail!("--lang {other:?}: zh-CN or en"),
    };
    if !(1..=365).contains(&args.days) {
        bail!("--days: between 1 and 365");
    }
    let (config, store, ws) = super::open(global).await?;
    let (now, _) = super::segment::as_of(&*store, ws, args.as_of.as_deref()).await?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let audience = Audience::load_unscored(&*store, ws, now, &config.segments.judging(), |n| {
        bar.set_message(format!("{n} events read"));
        bar.tick();
    })
    .await?;
    bar.finish_and_clear();
    let day = |flag: &str, text: &Option<String>| -> anyhow::Result<Option<NaiveDate>> {
        text.as_deref()
            .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").with_context(|| format!("{flag} {t:?}: YYYY-MM-DD")))
            .transpose()
    };
    let to = day("--to", &args.to)?.unwrap_or_else(|| audience.context.calendar.day(now));
    let from = day("--from", &args.from)?.unwrap_or(to - Duration::days(89));
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let q = Query { kind, window: Window { from, to }, grain, by, days: args.days };
    let table = answer(&audience, &q).table();
    if args.csv {
        let mut out = csv::Writer::from_writer(std::io::stdout());
        out.write_record(table.headers(lang))?;
        for row in &table.rows {
            out.write_record(row.iter().map(|c| csv_cell::text(c).into_owned()))?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let headers = table.headers(lang);
    let width = |i: usize| {
        let cells = table.rows.iter().map(|r| display_width(&r[i]));
        cells.chain([display_width(headers[i])]).max().unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(display_width(c)))))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    println!("{} {from} – {to} ({})", kind.as_str(), audience.context.calendar.tz.name());
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in &table.rows {
        line(row.clone());
    }
    Ok(ExitCode::SUCCESS)
}

/// Columns a terminal gives text: CJK characters take two.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 }).sum()
}
