use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Global, WorkspacesCommand};

pub async fn run(global: &Global, command: WorkspacesCommand) -> anyhow::Result<ExitCode> {
    let config = super::load_config(global, serde_json::json!({}))?;
    let store = crate::store::open(&config).await?;
    match command {
        WorkspacesCommand::Create { slug, name, time_zone } => {
            check_slug(&slug)?;
            // A full time-zone database arrives with the calendar features; until then, refuse
            // what cannot be an IANA name.
            anyhow::ensure!(
                time_zone == "UTC" || (time_zone.contains('/') && !time_zone.contains(char::is_whitespace)),
                "--time-zone must be an IANA name such as Asia/Shanghai"
            );
            let name = name.unwrap_or_else(|| slug.clone());
            let ws = store.create_workspace(&slug, &name, &time_zone).await.context("creating the workspace")?;
            println!("workspace {} ({}) created, time zone {}", ws.slug, ws.name, ws.time_zone);
        }
        WorkspacesCommand::List => {
            println!("{:<20}  {:<24}  {:<16}  created", "slug", "name", "time zone");
            for ws in store.workspaces().await? {
                println!(
                    "{:<20}  {:<24}  {:<16}  {}",
                    ws.slug,
                    ws.name,
                    ws.time_zone,
                    ws.created_at.format("%Y-%m-%d")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_slug(slug: &str) -> anyhow::Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 40
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    anyhow::ensure!(ok, "a workspace slug is 1 to 40 lowercase letters, digits and '-'");
    Ok(())
}
