//! The PostgreSQL test fixture: a fresh schema per test in one database.
//!
//! The database is `REKINDLE_TEST_DATABASE_URL`. Unset, CI fails at once (it must never skip
//! these silently), and a developer's run tries the local `postgres://postgres@127.0.0.1:5432/test`.
//! Each test's schema `rk_test_<unix secs>_<random>` is dropped when the test ends; schemas older
//! than an hour, left by killed runs, are dropped when a run starts.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rekindle_core::ids::Uuid;
use rekindle_store_postgres::PostgresStore;
use sqlx_core::connection::Connection;
use sqlx_core::row::Row;
use sqlx_postgres::PgConnection;

const URL_VAR: &str = "REKINDLE_TEST_DATABASE_URL";
const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PREFIX: &str = "rk_test_";
const STALE_AFTER_SECS: u64 = 3600;

/// Drops its schema when the test ends, passed or failed.
pub struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// A connection of the test's own to the database, outside the schema.
    pub async fn admin(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("connect to the test database")
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Another store on the same schema: a second server node.
    pub async fn open_again(&self) -> PostgresStore {
        match PostgresStore::connect_in_schema(&self.url, &self.name).await {
            Ok(store) => store,
            Err(e) => panic!("cannot reopen test schema {}: {e}", self.name),
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Drop cannot await, and the test's runtime may be winding down: a thread with its own.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            rt.block_on(PostgresStore::drop_schema(&url, &name)).map_err(|e| e.to_string())
        })
        .join();
        // Never panic here: a panic while a failed test unwinds would abort the whole run.
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("left test schema {} behind: {e}", self.name),
            Err(_) => eprintln!("left test schema {} behind: cleanup panicked", self.name),
        }
    }
}

fn database_url() -> String {
    if let Ok(url) = std::env::var(URL_VAR)
        && !url.is_empty()
    {
        return url;
    }
    if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!(
            "{URL_VAR} is not set: CI must run the PostgreSQL conformance suite against a database, e.g. {LOCAL_URL}"
        );
    }
    eprintln!("note: {URL_VAR} is not set; using {LOCAL_URL}");
    LOCAL_URL.to_string()
}

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Once per run: drop test schemas that a killed run left behind.
async fn sweep_stale(url: &str) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(mut conn) = PgConnection::connect(url).await else {
        return;
    };
    let names: Vec<String> = sqlx_core::query::query::<sqlx_postgres::Postgres>(
        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'rk_test_')",
    )
    .fetch_all(&mut conn)
    .await
    .map(|rows| rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
    .unwrap_or_default();
    let _ = conn.close().await;
    let now = unix_secs();
    for name in names {
        let created =
            name.strip_prefix(PREFIX).and_then(|rest| rest.split('_').next()).and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| now.saturating_sub(t) > STALE_AFTER_SECS)
            && let Err(e) = PostgresStore::drop_schema(url, &name).await
        {
            eprintln!("could not drop stale test schema {name}: {e}");
        }
    }
}

pub async fn fresh() -> (PostgresStore, Schema) {
    let url = database_url();
    sweep_stale(&url).await;
    let name = format!("{PREFIX}{}_{}", unix_secs(), Uuid::now_v7().simple());
    let store = match PostgresStore::connect_in_schema(&url, &name).await {
        Ok(store) => store,
        Err(e) => panic!(
            // The URL is not echoed: it may hold a password.
            "cannot open a test store: {e}\nset {URL_VAR} to a PostgreSQL database the tests may create schemas in"
        ),
    };
    (store, Schema { url, name })
}
