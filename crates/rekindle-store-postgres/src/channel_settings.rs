//! A workspace's message providers as set in the console. Same answers as SQLite's.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_store::{ChannelSettings, Result};
use sqlx_core::row::Row;
use sqlx_core::types::Json;

use crate::{PostgresStore, db_err, sql};

#[async_trait::async_trait]
impl ChannelSettings for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn channel_settings(&self, ws: WorkspaceId) -> Result<Option<serde_json::Value>> {
        let row = sql("SELECT settings FROM channel_settings WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| r.try_get::<Json<serde_json::Value>, _>(0).map(|Json(v)| v)).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_channel_settings(
        &self,
        ws: WorkspaceId,
        settings: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sql("INSERT INTO channel_settings (workspace_id, settings, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at")
        .bind(ws.0)
        .bind(Json(settings))
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
