//! `rekindle people erase` and `rekindle people export`: a person's data on their request
//! (PIPL; docs/privacy.md), straight on the store, as the deployment's administrator.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use rekindle_store::{AuditRecord, Person, Store, lookup};

use crate::cli::Global;

/// How the audit log names what the command line did: no operator, no address.
const CLI: &str = "cli";

async fn find(store: &dyn Store, ws: rekindle_core::WorkspaceId, identifier: &str) -> anyhow::Result<Option<Person>> {
    let refs = lookup::candidates(identifier).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(lookup::find_person(store, ws, &refs).await?)
}

async fn audit(store: &dyn Store, ws: rekindle_core::WorkspaceId, action: &str, target: String) -> anyhow::Result<()> {
    let record = AuditRecord {
        workspace: Some(ws),
        user_id: None,
        action: action.into(),
        target: Some(target),
        ip: Some(CLI.into()),
    };
    store.record_audit(&record).await.context("recording the audit entry")
}

pub async fn erase(global: &Global, identifier: &str, yes: bool) -> anyhow::Result<ExitCode> {
    let (_, store, ws) = super::open(global).await?;
    let Some(person) = find(&*store, ws, identifier).await? else {
        eprintln!("no person matches {identifier:?}");
        return Ok(ExitCode::FAILURE);
    };
    if !yes {
        eprint!(
            "Erase person {} ({} identifiers) from workspace {:?}? This cannot be undone.\n\
             Type the person's id to confirm: ",
            person.id,
            person.identities.len(),
            global.workspace
        );
        std::io::stderr().flush().ok();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the confirmation")?;
        if line.trim() != person.id.to_string() {
            eprintln!("not confirmed; nothing erased (use --yes in scripts)");
            return Ok(ExitCode::FAILURE);
        }
    }
    let report = store.erase_person(ws, person.id).await?;
    let merged: Vec<String> = report.merged.iter().map(ToString::to_string).collect();
    let target = if merged.is_empty() {
        report.person.to_string()
    } else {
        format!("{} (with {})", report.person, merged.join(", "))
    };
    audit(&*store, ws, "person.erase", target).await?;
    println!("{}", serde_json::to_string_pretty(&report).context("encoding JSON")?);
    eprintln!(
        "erased {} and {} merged into them; {} orders kept anonymously. A server running on this store \
         keeps their profile in memory until it restarts: on a live deployment, erase through the API.",
        report.person,
        report.merged.len(),
        report.orders_kept
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn export(global: &Global, identifier: &str) -> anyhow::Result<ExitCode> {
    let (_, store, ws) = super::open(global).await?;
    let Some(person) = find(&*store, ws, identifier).await? else {
        eprintln!("no person matches {identifier:?}");
        return Ok(ExitCode::FAILURE);
    };
    let export = store.export_person(ws, person.id).await?;
    audit(&*store, ws, "person.export", person.id.to_string()).await?;
    let document = serde_json::json!({
        "exported_at": chrono::Utc::now(),
        "workspace": global.workspace,
        "person": export.person,
        "merged": export.merged,
        "records": export.records,
    });
    println!("{}", serde_json::to_string_pretty(&document).context("encoding JSON")?);
    Ok(ExitCode::SUCCESS)
}
