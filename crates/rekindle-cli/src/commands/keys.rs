use std::process::ExitCode;

use crate::cli::{Global, KeysCommand};

pub async fn run(global: &Global, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let (_, store, ws) = super::open(global).await?;
    match command {
        KeysCommand::Create { name } => {
            let (secret, key) =
                rekindle_ingest::write_keys::create(&*store, ws, &name).await?.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{secret}");
            eprintln!("write key {} ({}) created; it is shown only now.", key.id, key.name);
        }
        KeysCommand::List => {
            println!("{:>5}  {:<12}  {:<24}  {:<20}  status", "id", "prefix", "name", "created");
            for k in store.write_keys(ws).await? {
                let status =
                    k.revoked_at.map_or("active".to_string(), |t| format!("revoked {}", t.format("%Y-%m-%d %H:%M")));
                println!(
                    "{:>5}  {:<12}  {:<24}  {:<20}  {status}",
                    k.id,
                    k.prefix,
                    k.name,
                    k.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        KeysCommand::Revoke { id } => {
            store.revoke_write_key(ws, id).await?;
            println!("write key {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}
