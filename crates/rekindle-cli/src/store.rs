//! Which store: the binary's choice, so only it links both databases.

use std::sync::Arc;

use anyhow::Context;
use rekindle_server::config::Config;
use rekindle_store::Store;
use rekindle_store_postgres::PostgresStore;
use rekindle_store_sqlite::SqliteStore;

/// Open the store the configuration names: PostgreSQL with `database_url`, else SQLite in
/// `data_dir`. Migrations run on open.
pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &config.database_url {
        Some(url) => Arc::new(PostgresStore::connect(url.expose()).await.context("opening PostgreSQL")?),
        None => Arc::new(
            SqliteStore::open(&config.data_dir)
                .await
                .with_context(|| format!("opening the data dir {}", config.data_dir.display()))?,
        ),
    })
}
