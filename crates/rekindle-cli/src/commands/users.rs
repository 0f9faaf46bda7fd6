use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use rekindle_core::access::Role;
use rekindle_ingest::write_keys::random_token;
use rekindle_server::auth::{add_operator, create_api_token};

use crate::cli::{Global, UsersCommand};

pub async fn run(global: &Global, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let (_, store, ws) = super::open(global).await?;
    match command {
        UsersCommand::Create { email, name, role, password_stdin } => {
            let email = email.trim().to_lowercase();
            anyhow::ensure!(email.contains('@'), "{email:?} is not an email address");
            let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).context("reading the password")?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (random_token(""), true)
            };
            let (user, created) = add_operator(&*store, ws, &email, &name, &password, role).await?;
            if created && generated {
                println!("{password}");
                eprintln!(
                    "operator {} created as {role} of {}; the password above is shown only now.",
                    user.email, global.workspace
                );
            } else if created {
                eprintln!("operator {} created as {role} of {}.", user.email, global.workspace);
            } else {
                eprintln!(
                    "{} already has an account (password unchanged); now {role} of {}.",
                    user.email, global.workspace
                );
            }
        }
        UsersCommand::List => {
            println!("{:>5}  {:<32}  {:<20}  {:<9}  created", "id", "email", "name", "role");
            for m in store.members(ws).await? {
                println!(
                    "{:>5}  {:<32}  {:<20}  {:<9}  {}",
                    m.user.id,
                    m.user.email,
                    m.user.name,
                    m.role,
                    m.user.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        UsersCommand::Token { email, name } => {
            let user = store
                .user_by_email(&email.trim().to_lowercase())
                .await?
                .with_context(|| format!("no operator {email}"))?;
            let (token, info) = create_api_token(&*store, user.id, &name).await?;
            println!("{token}");
            eprintln!("API token {} ({}) for {}; it is shown only now.", info.id, info.name, user.email);
        }
    }
    Ok(ExitCode::SUCCESS)
}
