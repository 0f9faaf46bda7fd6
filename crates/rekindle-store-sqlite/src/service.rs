//! Service settings, the FAQ knowledge base and the assistant's log. Same answers as
//! PostgreSQL's service.rs.

use chrono::{DateTime, Utc};
use rekindle_core::service::Settings;
use rekindle_core::service::faq::{Entry, Logged};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Result, Service, StoreError};
use rusqlite::params;

use crate::codec::{ms, time};
use crate::documents::{self, Document};
use crate::journeys::to_json;
use crate::{Cached, SqliteStore, db_err};

fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(StoreError::backend)
}

#[async_trait::async_trait]
impl Service for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn service_settings(&self, ws: WorkspaceId) -> Result<Settings> {
        Ok(documents::read(self, Document::ServiceSettings, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_service_settings(&self, ws: WorkspaceId, settings: &Settings, at: DateTime<Utc>) -> Result<()> {
        documents::write(self, Document::ServiceSettings, ws, settings, at).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn faq_entries(&self, ws: WorkspaceId) -> Result<Vec<Entry>> {
        let bodies: Vec<String> = self
            .read(move |c| {
                let mut stmt = c
                    .prepare_cached("SELECT body FROM faq_entries WHERE workspace_id = ?1 ORDER BY seq")
                    .map_err(db_err)?;
                let rows = stmt.query_map([ws.0], |r| r.get(0)).map_err(db_err)?;
                rows.collect::<rusqlite::Result<_>>().map_err(db_err)
            })
            .await?;
        bodies.iter().map(|b| parse(b)).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0, n = entries.len()))]
    async fn put_faq_entries(&self, ws: WorkspaceId, entries: &[Entry], at: DateTime<Utc>) -> Result<usize> {
        let rows: Vec<(String, String)> =
            entries.iter().map(|e| Ok((e.id.clone(), to_json(e)?))).collect::<Result<_>>()?;
        self.write(move |tx| {
            let mut added = 0;
            for (id, body) in &rows {
                let updated = tx
                    .cached_execute(
                        "UPDATE faq_entries SET body = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2",
                        params![ws.0, id, body, ms(at)],
                    )
                    .map_err(db_err)?;
                if updated == 0 {
                    tx.cached_execute(
                        "INSERT INTO faq_entries (workspace_id, id, body, updated_at) VALUES (?1, ?2, ?3, ?4)",
                        params![ws.0, id, body, ms(at)],
                    )
                    .map_err(db_err)?;
                    added += 1;
                }
            }
            Ok(added)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_faq_entry(&self, ws: WorkspaceId, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM faq_entries WHERE workspace_id = ?1 AND id = ?2", params![ws.0, id])
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("FAQ entry {id}")));
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn log_faq(&self, ws: WorkspaceId, l: &Logged) -> Result<()> {
        let l = l.clone();
        self.write(move |tx| {
            tx.cached_execute(
                "INSERT INTO faq_log (workspace_id, person_id, at, question, entry_id, confidence, answered, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    ws.0,
                    l.person.map(|p| p.0),
                    ms(l.at),
                    l.question,
                    l.entry_id,
                    l.confidence,
                    l.answered,
                    l.source
                ],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn faq_log(&self, ws: WorkspaceId, handed_off: bool, limit: u32) -> Result<Vec<Logged>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT person_id, at, question, entry_id, confidence, answered, source FROM faq_log
                     WHERE workspace_id = ?1 AND (?2 = 0 OR answered = 0) ORDER BY id DESC LIMIT ?3",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, handed_off, limit], |r| {
                    Ok(Logged {
                        person: r.get::<_, Option<rekindle_core::ids::Uuid>>(0)?.map(PersonId),
                        at: time(r.get(1)?),
                        question: r.get(2)?,
                        entry_id: r.get(3)?,
                        confidence: r.get(4)?,
                        answered: r.get(5)?,
                        source: r.get(6)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }
}
