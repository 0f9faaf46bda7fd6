//! Service settings, the FAQ knowledge base and the assistant's log. Same answers as SQLite's
//! service.rs.

use chrono::{DateTime, Utc};
use rekindle_core::service::Settings;
use rekindle_core::service::faq::{Entry, Logged};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Result, Service, StoreError};
use sqlx_core::row::Row;
use sqlx_core::types::Json;

use crate::documents::{self, Document};
use crate::{PostgresStore, db_err, sql};

#[async_trait::async_trait]
impl Service for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn service_settings(&self, ws: WorkspaceId) -> Result<Settings> {
        Ok(documents::read(&self.pool, Document::ServiceSettings, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_service_settings(&self, ws: WorkspaceId, settings: &Settings, at: DateTime<Utc>) -> Result<()> {
        documents::write(&self.pool, Document::ServiceSettings, ws, settings, at).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn faq_entries(&self, ws: WorkspaceId) -> Result<Vec<Entry>> {
        let rows = sql("SELECT body FROM faq_entries WHERE workspace_id = $1 ORDER BY seq")
            .bind(ws.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| r.try_get::<Json<Entry>, _>(0).map(|Json(e)| e).map_err(db_err)).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0, n = entries.len()))]
    async fn put_faq_entries(&self, ws: WorkspaceId, entries: &[Entry], at: DateTime<Utc>) -> Result<usize> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let mut added = 0;
        for e in entries {
            // `xmax = 0` only on a row this statement inserted.
            let inserted: bool =
                sql("INSERT INTO faq_entries (workspace_id, id, body, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workspace_id, id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at
                 RETURNING xmax = 0")
                .bind(ws.0)
                .bind(&e.id)
                .bind(Json(e))
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(db_err)?;
            added += usize::from(inserted);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(added)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_faq_entry(&self, ws: WorkspaceId, id: &str) -> Result<()> {
        let done = sql("DELETE FROM faq_entries WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("FAQ entry {id}")));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn log_faq(&self, ws: WorkspaceId, l: &Logged) -> Result<()> {
        sql("INSERT INTO faq_log (workspace_id, person_id, at, question, entry_id, confidence, answered, source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(ws.0)
        .bind(l.person.map(|p| p.0))
        .bind(l.at)
        .bind(&l.question)
        .bind(&l.entry_id)
        .bind(l.confidence)
        .bind(l.answered)
        .bind(&l.source)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn faq_log(&self, ws: WorkspaceId, handed_off: bool, limit: u32) -> Result<Vec<Logged>> {
        let rows = sql("SELECT person_id, at, question, entry_id, confidence, answered, source FROM faq_log
             WHERE workspace_id = $1 AND (NOT $2 OR NOT answered) ORDER BY id DESC LIMIT $3")
        .bind(ws.0)
        .bind(handed_off)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Logged {
                    person: r.try_get::<Option<rekindle_core::ids::Uuid>, _>(0)?.map(PersonId),
                    at: r.try_get(1)?,
                    question: r.try_get(2)?,
                    entry_id: r.try_get(3)?,
                    confidence: r.try_get(4)?,
                    answered: r.try_get(5)?,
                    source: r.try_get(6)?,
                })
            })
            .collect::<Result<_, sqlx_core::error::Error>>()
            .map_err(db_err)
    }
}
