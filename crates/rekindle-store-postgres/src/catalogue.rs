//! Products and live sessions: one statement per list, by column arrays.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::objects::{LiveSession, Product};
use rekindle_store::Result;
use sqlx_core::row::Row;

use crate::{PostgresStore, db_err, sql};

#[async_trait::async_trait]
impl rekindle_store::Catalogue for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_products(&self, ws: WorkspaceId, products: Vec<Product>) -> Result<()> {
        // Arrays of arrays must be rectangular in PostgreSQL, so lists travel as JSON text.
        sql("INSERT INTO products (workspace_id, sku, name, category, price, pack_size, tags, months)
             SELECT $1, sku, name, category, price, pack_size,
                    ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)),
                    ARRAY(SELECT jsonb_array_elements_text(months::jsonb)::int)
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[], $7::text[], $8::text[])
                  AS t(sku, name, category, price, pack_size, tags, months)
             ON CONFLICT (workspace_id, sku) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category,
                  price = EXCLUDED.price, pack_size = EXCLUDED.pack_size, tags = EXCLUDED.tags, months = EXCLUDED.months")
        .bind(ws.0)
        .bind(products.iter().map(|p| p.sku.clone()).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.name.clone()).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.category.clone()).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.price).collect::<Vec<_>>())
        .bind(products.iter().map(|p| p.pack_size as i32).collect::<Vec<_>>())
        .bind(products.iter().map(|p| json(&p.tags)).collect::<Vec<_>>())
        .bind(products.iter().map(|p| json(&p.months)).collect::<Vec<_>>())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_products(&self, ws: WorkspaceId, skus: Vec<String>) -> Result<()> {
        sql("DELETE FROM products WHERE workspace_id = $1 AND sku = ANY($2)")
            .bind(ws.0)
            .bind(skus)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn products(&self, ws: WorkspaceId) -> Result<Vec<Product>> {
        let rows = sql("SELECT sku, name, category, price, pack_size, tags, months FROM products
                        WHERE workspace_id = $1 ORDER BY sku COLLATE \"C\"")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Product {
                    sku: r.try_get(0)?,
                    name: r.try_get(1)?,
                    category: r.try_get(2)?,
                    price: r.try_get(3)?,
                    pack_size: r.try_get::<i32, _>(4)?.max(0) as u32,
                    tags: r.try_get(5)?,
                    months: r.try_get::<Vec<i32>, _>(6)?.into_iter().map(|m| m.max(0) as u32).collect(),
                })
            })
            .collect::<Result<_, sqlx_core::error::Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_live_sessions(&self, ws: WorkspaceId, sessions: Vec<LiveSession>) -> Result<()> {
        sql("INSERT INTO live_sessions (workspace_id, id, title, topics, host, scheduled_start, started_at, ended_at)
             SELECT $1, id, title, ARRAY(SELECT jsonb_array_elements_text(topics::jsonb)), host, scheduled_start, started_at, ended_at
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[])
                  AS t(id, title, topics, host, scheduled_start, started_at, ended_at)
             ON CONFLICT (workspace_id, id) DO UPDATE SET title = EXCLUDED.title, topics = EXCLUDED.topics,
                  host = EXCLUDED.host, scheduled_start = EXCLUDED.scheduled_start,
                  started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at")
        .bind(ws.0)
        .bind(sessions.iter().map(|s| s.id.clone()).collect::<Vec<_>>())
        .bind(sessions.iter().map(|s| s.title.clone()).collect::<Vec<_>>())
        .bind(sessions.iter().map(|s| json(&s.topics)).collect::<Vec<_>>())
        .bind(sessions.iter().map(|s| s.host.clone()).collect::<Vec<_>>())
        .bind(sessions.iter().map(|s| s.scheduled_start).collect::<Vec<_>>())
        .bind(sessions.iter().map(|s| s.started_at).collect::<Vec<Option<DateTime<Utc>>>>())
        .bind(sessions.iter().map(|s| s.ended_at).collect::<Vec<Option<DateTime<Utc>>>>())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn live_sessions(&self, ws: WorkspaceId) -> Result<Vec<LiveSession>> {
        let rows = sql("SELECT id, title, topics, host, scheduled_start, started_at, ended_at FROM live_sessions
                        WHERE workspace_id = $1 ORDER BY scheduled_start, id COLLATE \"C\"")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(LiveSession {
                    id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    topics: r.try_get(2)?,
                    host: r.try_get(3)?,
                    scheduled_start: r.try_get(4)?,
                    started_at: r.try_get(5)?,
                    ended_at: r.try_get(6)?,
                })
            })
            .collect::<Result<_, sqlx_core::error::Error>>()
            .map_err(db_err)
    }
}

/// A list as JSON text, for the statements above.
fn json<T: serde::Serialize>(list: &[T]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}
