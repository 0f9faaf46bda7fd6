use std::process::ExitCode;

use rekindle_server::App;

use crate::cli::{Global, ServeArgs};

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut overrides = serde_json::json!({});
    if let Some(listen) = args.listen {
        overrides["listen"] = serde_json::json!(listen);
    }
    let config = super::load_config(global, overrides)?;
    rekindle_server::telemetry::init(&config.log);
    let store = crate::store::open(&config).await?;
    let app = App::with_store(config, store).await?;
    println!("Rekindle listening on http://{}", app.local_addr());
    app.run().await?;
    Ok(ExitCode::SUCCESS)
}
