//! Products and live sessions.

use rekindle_core::WorkspaceId;
use rekindle_core::objects::{LiveSession, Product};
use rekindle_store::{Catalogue, Result, StoreError};
use rusqlite::params;

use crate::codec::{ms, time};
use crate::{SqliteStore, db_err};

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

fn list<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

#[async_trait::async_trait]
impl Catalogue for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_products(&self, ws: WorkspaceId, products: Vec<Product>) -> Result<()> {
        self.write(move |tx| {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO products (workspace_id, sku, name, category, price, pack_size, tags, months)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(db_err)?;
            for p in &products {
                stmt.execute(params![
                    ws.0,
                    p.sku,
                    p.name,
                    p.category,
                    p.price,
                    p.pack_size,
                    json(&p.tags)?,
                    json(&p.months)?
                ])
                .map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_products(&self, ws: WorkspaceId, skus: Vec<String>) -> Result<()> {
        self.write(move |tx| {
            let mut stmt =
                tx.prepare_cached("DELETE FROM products WHERE workspace_id = ?1 AND sku = ?2").map_err(db_err)?;
            for sku in &skus {
                stmt.execute(params![ws.0, sku]).map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn products(&self, ws: WorkspaceId) -> Result<Vec<Product>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT sku, name, category, price, pack_size, tags, months FROM products WHERE workspace_id = ?1 ORDER BY sku",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map([ws.0], |r| {
                    Ok(Product {
                        sku: r.get(0)?,
                        name: r.get(1)?,
                        category: r.get(2)?,
                        price: r.get(3)?,
                        pack_size: r.get(4)?,
                        tags: list(&r.get::<_, String>(5)?)?,
                        months: list(&r.get::<_, String>(6)?)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_live_sessions(&self, ws: WorkspaceId, sessions: Vec<LiveSession>) -> Result<()> {
        self.write(move |tx| {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO live_sessions (workspace_id, id, title, topics, host, scheduled_start, started_at, ended_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(db_err)?;
            for s in &sessions {
                stmt.execute(params![
                    ws.0,
                    s.id,
                    s.title,
                    json(&s.topics)?,
                    s.host,
                    ms(s.scheduled_start),
                    s.started_at.map(ms),
                    s.ended_at.map(ms)
                ])
                .map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn live_sessions(&self, ws: WorkspaceId) -> Result<Vec<LiveSession>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, title, topics, host, scheduled_start, started_at, ended_at FROM live_sessions
                     WHERE workspace_id = ?1 ORDER BY scheduled_start, id",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map([ws.0], |r| {
                    Ok(LiveSession {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        topics: list(&r.get::<_, String>(2)?)?,
                        host: r.get(3)?,
                        scheduled_start: time(r.get(4)?),
                        started_at: r.get::<_, Option<i64>>(5)?.map(time),
                        ended_at: r.get::<_, Option<i64>>(6)?.map(time),
                    })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }
}
