//! Message templates. Same answers as SQLite's ledgers.rs.

use rekindle_core::WorkspaceId;
use rekindle_core::outreach::MessageTemplate;
use rekindle_store::{Result, StoreError};

use crate::named::{Named, named, put_named};
use crate::{PostgresStore, db_err, sql};

#[async_trait::async_trait]
impl rekindle_store::Templates for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_message_template(&self, ws: WorkspaceId, template: &MessageTemplate) -> Result<()> {
        put_named(&mut *self.conn().await?, Named::Templates, ws, &template.name, template).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn message_templates(&self, ws: WorkspaceId) -> Result<Vec<MessageTemplate>> {
        named(&mut *self.conn().await?, Named::Templates, ws).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_message_template(&self, ws: WorkspaceId, name: &str) -> Result<()> {
        let done = sql("DELETE FROM message_templates WHERE workspace_id = $1 AND name = $2")
            .bind(ws.0)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("message template {name}")));
        }
        Ok(())
    }
}
