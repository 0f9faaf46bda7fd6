use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rekindle_core::csv_cell;
use rekindle_engine::Audience;
use rekindle_rules::parse;
use rekindle_store::PersonRef;

use crate::cli::{Global, SegmentCommand};

/// People listed when neither --count nor --csv is given.
const SAMPLE: usize = 20;

pub async fn run(global: &Global, command: SegmentCommand) -> anyhow::Result<ExitCode> {
    let SegmentCommand::Eval { rule, count, csv, at } = command;
    let parsed = match parse(&rule) {
        Ok(r) => r,
        Err(e) => {
            // The rule as typed with a caret under the spot (the message alone past the cap).
            eprintln!("{}", e.render(&rule));
            return Ok(ExitCode::from(2));
        }
    };
    let (config, store, ws) = super::open(global).await?;
    let (now, tz) = as_of(&*store, ws, at.as_deref()).await?;
    let audience = Audience::load(&*store, ws, now, &config.segments.judging()).await?;
    let selected: Vec<_> = audience.select(&parsed).collect();
    if count {
        println!("{}", selected.len());
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    // The CSV goes through the csv crate (quoting), the listing is plain text.
    let mut table = csv.then(|| csv::Writer::from_writer(std::io::stdout()));
    match &mut table {
        Some(t) => {
            t.write_record(["person", "nickname", "phone", "stage", "tier", "orders", "spend_fen", "last_order"])?
        }
        None => {
            writeln!(out, "{} of {} people as of {}", selected.len(), audience.members.len(), now.with_timezone(&tz))?
        }
    }
    let limit = if csv { usize::MAX } else { SAMPLE };
    for m in selected.iter().take(limit) {
        let person = store.person(ws, &PersonRef::Id(m.person)).await?;
        let nickname = person.as_ref().and_then(|p| p.nickname()).unwrap_or_default();
        let phone = person.as_ref().and_then(|p| p.phone()).unwrap_or_default();
        let last = m.profile.last_order().map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string());
        // In the CSV, text a spreadsheet would run as a formula is neutralised.
        let cell = |text: String| if csv { csv_cell::text(&text).into_owned() } else { text };
        let fields = [
            m.person.to_string(),
            cell(nickname),
            cell(phone),
            m.stage.as_str().into(),
            m.tier.as_str().into(),
            m.profile.order_count().to_string(),
            m.profile.spend_fen().to_string(),
            last.unwrap_or_default(),
        ];
        match &mut table {
            Some(t) => t.write_record(&fields)?,
            None => writeln!(out, "  {}", fields.join("  "))?,
        }
    }
    if let Some(mut t) = table {
        t.flush()?;
    }
    if !csv && selected.len() > SAMPLE {
        writeln!(out, "  … and {} more (--csv lists everyone)", selected.len() - SAMPLE)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The moment `text` names (RFC 3339, or the end of a day in the store's time zone), or now;
/// and the store's time zone.
pub(super) async fn as_of(
    store: &dyn rekindle_store::Store,
    ws: rekindle_core::WorkspaceId,
    text: Option<&str>,
) -> anyhow::Result<(DateTime<Utc>, chrono_tz::Tz)> {
    let workspace = store.workspaces().await?.into_iter().find(|w| w.id == ws).context("the workspace")?;
    let tz: chrono_tz::Tz = workspace.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let now = match text {
        Some(text) => moment(text, tz)?,
        None => Utc::now(),
    };
    Ok((now, tz))
}

fn moment(text: &str, tz: chrono_tz::Tz) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = rekindle_core::time::parse_timestamp(text) {
        return Ok(t);
    }
    let day =
        NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("--at {text:?}: not a date or time"))?;
    let end = day.and_hms_opt(23, 59, 59).expect("a valid time");
    tz.from_local_datetime(&end).earliest().map(|t| t.with_timezone(&Utc)).context("--at: no such local time")
}
