//! A workspace's settings kept whole as one JSON document per table (the loyalty program, the
//! service settings, the message providers): each read and replaced the same way. Same answers
//! as PostgreSQL's documents.rs.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_store::{Result, StoreError};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::ms;
use crate::{Cached, SqliteStore, db_err};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Document {
    LoyaltyProgram,
    ServiceSettings,
    ChannelSettings,
    SubscriptionSettings,
    ChannelCodes,
    TagSync,
    ControlGroup,
    LaunchSettings,
}

impl Document {
    /// The table and its JSON column.
    fn place(self) -> (&'static str, &'static str) {
        match self {
            Self::LoyaltyProgram => ("loyalty_programs", "body"),
            Self::ServiceSettings => ("service_settings", "body"),
            Self::ChannelSettings => ("channel_settings", "settings"),
            Self::SubscriptionSettings => ("subscription_settings", "body"),
            Self::ChannelCodes => ("channel_codes", "body"),
            Self::TagSync => ("wecom_tag_sync", "body"),
            Self::ControlGroup => ("control_groups", "body"),
            Self::LaunchSettings => ("launch_settings", "body"),
        }
    }
}

/// The workspace's document, if one was written.
pub(crate) async fn read<T: DeserializeOwned>(
    store: &SqliteStore,
    doc: Document,
    ws: WorkspaceId,
) -> Result<Option<T>> {
    let (table, column) = doc.place();
    let text: Option<String> = store
        .read(move |c| {
            c.cached_row(&format!("SELECT {column} FROM {table} WHERE workspace_id = ?1"), [ws.0], |r| r.get(0))
                .optional()
                .map_err(db_err)
        })
        .await?;
    text.map(|t| serde_json::from_str(&t).map_err(StoreError::backend)).transpose()
}

/// Replace the workspace's document.
pub(crate) async fn write<T: Serialize>(
    store: &SqliteStore,
    doc: Document,
    ws: WorkspaceId,
    value: &T,
    at: DateTime<Utc>,
) -> Result<()> {
    let (table, column) = doc.place();
    let text = serde_json::to_string(value).map_err(StoreError::backend)?;
    store
        .write(move |tx| {
            tx.cached_execute(
                &format!(
                    "INSERT INTO {table} (workspace_id, {column}, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (workspace_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at"
                ),
                params![ws.0, text, ms(at)],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
}
