//! A workspace's message providers as set in the console.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_store::{ChannelSettings, Result};
use rusqlite::{OptionalExtension, params};

use crate::codec::ms;
use crate::{SqliteStore, db_err};

#[async_trait::async_trait]
impl ChannelSettings for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn channel_settings(&self, ws: WorkspaceId) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .read(move |c| {
                c.query_row("SELECT settings FROM channel_settings WHERE workspace_id = ?1", [ws.0], |r| r.get(0))
                    .optional()
                    .map_err(db_err)
            })
            .await?;
        text.map(|t| serde_json::from_str(&t).map_err(rekindle_store::StoreError::backend)).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_channel_settings(
        &self,
        ws: WorkspaceId,
        settings: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let text = settings.to_string();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO channel_settings (workspace_id, settings, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
                params![ws.0, text, ms(at)],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}
