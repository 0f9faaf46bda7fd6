use std::process::ExitCode;

use anyhow::Context;
use rekindle_store::{EventQuery, lookup};

use crate::cli::Global;

pub async fn show(global: &Global, identifier: &str, events: u32, json: bool) -> anyhow::Result<ExitCode> {
    let (_, store, ws) = super::open(global).await?;
    let refs = lookup::candidates(identifier).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(person) = lookup::find_person(&*store, ws, &refs).await? else {
        eprintln!("no person matches {identifier:?}");
        return Ok(ExitCode::FAILURE);
    };
    let recent = store.events(ws, &EventQuery { person: Some(person.id), limit: events, ..Default::default() }).await?;
    if json {
        let out = serde_json::json!({"person": person, "events": recent});
        println!("{}", serde_json::to_string_pretty(&out).context("encoding JSON")?);
        return Ok(ExitCode::SUCCESS);
    }
    // Times as the console shows them: in the store's time zone (the JSON above stays UTC).
    let (_, tz) = super::segment::as_of(&*store, ws, None).await?;
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    println!("person   {}   (times in {tz})", person.id);
    println!("created  {}   updated {}", local(person.created_at), local(person.updated_at));
    if !person.traits.is_empty() {
        println!("traits   {}", serde_json::Value::Object(person.traits.clone()));
    }
    println!("\nidentifiers ({}):", person.identities.len());
    for i in &person.identities {
        println!(
            "  {:<22} {:<40} linked {} by {}",
            i.identifier.kind.as_str(),
            i.identifier.value,
            local(i.linked_at),
            i.message_id
        );
    }
    println!("\nrecent events ({}):", recent.len());
    for e in &recent {
        println!(
            "  {}  {:<8} {:<24} {}",
            local(e.timestamp),
            e.kind.as_str(),
            e.name.as_deref().unwrap_or("-"),
            e.message_id
        );
    }
    Ok(ExitCode::SUCCESS)
}
