//! Message templates, kept whole as JSON by name (see `named.rs`).

use rekindle_core::WorkspaceId;
use rekindle_core::outreach::MessageTemplate;
use rekindle_store::{Result, StoreError, Templates};
use rusqlite::{Connection, params};

use crate::Cached;
use crate::journeys::to_json;
use crate::named::{named, put_named};
use crate::{SqliteStore, db_err};

fn delete(c: &Connection, ws: WorkspaceId, name: &str) -> Result<()> {
    let n = c
        .cached_execute("DELETE FROM message_templates WHERE workspace_id = ?1 AND name = ?2", params![ws.0, name])
        .map_err(db_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("message template {name}")));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Templates for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_message_template(&self, ws: WorkspaceId, template: &MessageTemplate) -> Result<()> {
        let t = template.clone();
        self.write(move |tx| put_named(tx, "message_templates", ws, &t.name, to_json(&t)?)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn message_templates(&self, ws: WorkspaceId) -> Result<Vec<MessageTemplate>> {
        self.read(move |c| named(c, "message_templates", ws)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_message_template(&self, ws: WorkspaceId, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |tx| delete(tx, ws, &name)).await
    }
}
