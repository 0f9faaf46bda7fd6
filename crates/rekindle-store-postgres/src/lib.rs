//! The shared store: PostgreSQL, for several server nodes writing one database.
//!
//! Same schema, same plans, same answers as `rekindle-store-sqlite`; the conformance suite holds
//! both to it. What differs is concurrency: SQLite has one writer, here any node may append at
//! any time, so `append` locks what it is about to decide on (see `append.rs`), and so do caps,
//! enrollments and coupons (see `journey_lock.rs`).
//!
//! Each capability trait of `rekindle_store` is implemented in the module of its name, beside
//! its SQL.
//!
//! sqlx's driver crates are used directly, without the `sqlx` facade, and only with runtime
//! queries: building needs no database.

mod accounts;
mod append;
mod appended;
mod catalogue;
mod change_feed;
mod channel_codes;
mod channel_settings;
mod codec;
mod consent;
mod coupons;
mod cursors;
mod documents;
mod enrollments;
mod erasure;
mod event_log;
mod group_posts;
mod invitations;
mod journey_lock;
mod journeys;
mod launch;
mod leadership;
mod lock;
mod migrate;
mod named;
mod outbox;
mod partitions;
mod people;
#[cfg(test)]
mod plans;
mod points;
mod predictions;
mod programme;
mod readouts;
mod referrals;
mod segments;
mod service;
mod stages;
mod subscriptions;
mod tags;
mod targets;
mod templates;
#[cfg(test)]
mod test_db;
mod tracked_links;
mod winners;
mod workspaces;
mod write;

use std::str::FromStr;

use rekindle_store::{Result, StoreError};
use sqlx_core::connection::Connection;
use sqlx_core::pool::PoolConnection;
use sqlx_core::query::Query;
use sqlx_core::sql_str::AssertSqlSafe;
use sqlx_core::transaction::Transaction;
use sqlx_postgres::{PgArguments, PgConnectOptions, PgConnection, PgPool, PgPoolOptions, Postgres};

/// Connections per node. Appends hold one for a whole batch; reads are short.
const POOL_SIZE: u32 = 16;

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Which workspaces this node leads (leadership.rs).
    seat: std::sync::Arc<leadership::Seat>,
    /// The event log's months this node has made sure of (partitions.rs).
    partitions: std::sync::Arc<partitions::Partitions>,
}

impl PostgresStore {
    /// Connect to `url` (`postgres://user:pass@host/db`) and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(db_err)?;
        Self::open(options).await
    }

    /// Like [`Self::connect`], but every table lives in `schema`, created if missing. Tests use
    /// it to give each run its own empty store inside one database.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self> {
        let ident = quote_ident(schema)?;
        // A startup option, so every pooled connection has it, including ones made later.
        let options = PgConnectOptions::from_str(url).map_err(db_err)?.options([("search_path", &ident)]);
        let mut conn = PgConnection::connect_with(&options).await.map_err(db_err)?;
        sql_owned(format!("CREATE SCHEMA IF NOT EXISTS {ident}")).execute(&mut conn).await.map_err(db_err)?;
        conn.close().await.map_err(db_err)?;
        Self::open(options).await
    }

    /// Drop `schema` and everything in it, on a connection of its own.
    pub async fn drop_schema(url: &str, schema: &str) -> Result<()> {
        let ident = quote_ident(schema)?;
        let options = PgConnectOptions::from_str(url).map_err(db_err)?;
        let mut conn = PgConnection::connect_with(&options).await.map_err(db_err)?;
        // A connection left inside a transaction on the schema must not hang the caller.
        sql("SET lock_timeout = '10s'").execute(&mut conn).await.map_err(db_err)?;
        sql_owned(format!("DROP SCHEMA IF EXISTS {ident} CASCADE")).execute(&mut conn).await.map_err(db_err)?;
        conn.close().await.map_err(db_err)
    }

    async fn open(options: PgConnectOptions) -> Result<Self> {
        let pool =
            PgPoolOptions::new().max_connections(POOL_SIZE).connect_with(options.clone()).await.map_err(db_err)?;
        migrate::run(&pool).await.map_err(db_err)?;
        tracing::info!("postgres store open");
        Ok(Self {
            pool,
            seat: std::sync::Arc::new(leadership::Seat::new(options)),
            partitions: std::sync::Arc::default(),
        })
    }

    /// A pooled connection, for the helpers written against `&mut PgConnection`.
    pub(crate) async fn conn(&self) -> Result<PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(db_err)
    }

    /// A transaction for writes; dropped without [`done`], it rolls back. Transactions run at
    /// READ COMMITTED: what must not race another node is locked inside them (see
    /// `journey_lock.rs`) or decided by one statement.
    pub(crate) async fn tx(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db_err)
    }
}

/// Commit and hand back what the transaction produced.
pub(crate) async fn done<T>(tx: Transaction<'static, Postgres>, value: T) -> Result<T> {
    tx.commit().await.map_err(db_err)?;
    Ok(value)
}

/// A schema name as a quoted identifier, so any name is taken literally.
fn quote_ident(name: &str) -> Result<String> {
    if name.is_empty() || name.contains('\0') {
        return Err(StoreError::backend(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("bad schema name {name:?}"),
        )));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// A fixed statement, bound with `.bind` in `$n` order.
pub(crate) fn sql(q: &'static str) -> Query<'static, Postgres, PgArguments> {
    sqlx_core::query::query(q)
}

/// A statement assembled at run time from fixed pieces; values still go through binds.
pub(crate) fn sql_owned(q: String) -> Query<'static, Postgres, PgArguments> {
    sqlx_core::query::query(AssertSqlSafe(q))
}

pub(crate) fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::backend(e)
}

#[async_trait::async_trait]
impl rekindle_store::Backend for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> Result<()> {
        sql("SELECT 1").execute(&self.pool).await.map(drop).map_err(db_err)
    }

    fn on_appends_elsewhere(&self, woken: Box<dyn Fn() + Send + Sync>) {
        // The seat lives as long as the store: the listener stops when the store is dropped.
        let (options, nonce) = (self.seat.options().clone(), self.seat.nonce().to_owned());
        appended::listen(options, nonce, std::sync::Arc::downgrade(&self.seat), woken);
    }
}
