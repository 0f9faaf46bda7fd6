//! `rekindle report`: one report over the store's local days, as a table or CSV — the same
//! engine road the API and the console take.

use std::process::ExitCode;

use anyhow::{anyhow, bail};
use rekindle_engine::measure::{Request, answer};
use rekindle_rules::Lang;
use unicode_width::UnicodeWidthStr;

use crate::cli::{Global, ReportArgs};

pub async fn run(global: &Global, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let lang = match args.lang.as_str() {
        "zh-CN" | "zh" => Lang::ZhCn,
        "en" => Lang::En,
        other => bail!("--lang {other:?}: zh-CN or en"),
    };
    let (config, store, ws) = super::open(global).await?;
    let (now, tz) = super::segment::as_of(&*store, ws, args.as_of.as_deref()).await?;
    let cal = rekindle_core::calendar::Calendar::new(tz);
    let request = Request {
        kind: &args.kind,
        from: args.from.as_deref(),
        to: args.to.as_deref(),
        grain: Some(&args.grain),
        by: Some(&args.by),
        days: args.days,
    };
    let q = request.query(cal.day(now)).map_err(|r| anyhow!("--{}: {}", r.field, r.message(Lang::En)))?;
    let audience = super::read_audience(&*store, ws, now, &config.segments.judging(), false).await?;
    let facts = q.kind.facts(&*store, ws, &cal, &q, now).await?;
    let table = answer(&audience, &q, &facts).table();
    if args.csv {
        table.write_csv(std::io::stdout(), lang)?;
        return Ok(ExitCode::SUCCESS);
    }
    let headers = table.headers(lang);
    let rows = table.rows_in(lang);
    let width = |i: usize| {
        let cells = rows.iter().map(|r| r[i].width());
        cells.chain([headers[i].width()]).max().unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width())))).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    println!("{} {} – {} ({})", q.kind.as_str(), q.window.from, q.window.to, cal.tz.name());
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in &rows {
        line(row.clone());
    }
    Ok(ExitCode::SUCCESS)
}
