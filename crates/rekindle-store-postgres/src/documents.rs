//! A workspace's settings kept whole as one JSON document per table (the loyalty program, the
//! service settings, the message providers): each read and replaced the same way. Same answers
//! as SQLite's documents.rs.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_store::Result;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::PgPool;

use crate::{db_err, sql};

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

/// The workspace's document, if one was written. The SQL is written out per table (the
/// queries are `'static`).
pub(crate) async fn read<T: DeserializeOwned>(pool: &PgPool, doc: Document, ws: WorkspaceId) -> Result<Option<T>> {
    let query = match doc {
        Document::LoyaltyProgram => "SELECT body FROM loyalty_programs WHERE workspace_id = $1",
        Document::ServiceSettings => "SELECT body FROM service_settings WHERE workspace_id = $1",
        Document::ChannelSettings => "SELECT settings FROM channel_settings WHERE workspace_id = $1",
        Document::SubscriptionSettings => "SELECT body FROM subscription_settings WHERE workspace_id = $1",
        Document::ChannelCodes => "SELECT body FROM channel_codes WHERE workspace_id = $1",
        Document::TagSync => "SELECT body FROM wecom_tag_sync WHERE workspace_id = $1",
        Document::ControlGroup => "SELECT body FROM control_groups WHERE workspace_id = $1",
        Document::LaunchSettings => "SELECT body FROM launch_settings WHERE workspace_id = $1",
    };
    let row = sql(query).bind(ws.0).fetch_optional(pool).await.map_err(db_err)?;
    row.map(|r| r.try_get::<Json<T>, _>(0).map(|Json(v)| v)).transpose().map_err(db_err)
}

/// Replace the workspace's document.
pub(crate) async fn write<T: Serialize>(
    pool: &PgPool,
    doc: Document,
    ws: WorkspaceId,
    value: &T,
    at: DateTime<Utc>,
) -> Result<()> {
    let query = match doc {
        Document::LoyaltyProgram => {
            "INSERT INTO loyalty_programs (workspace_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at"
        }
        Document::ServiceSettings => {
            "INSERT INTO service_settings (workspace_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at"
        }
        Document::ChannelSettings => {
            "INSERT INTO channel_settings (workspace_id, settings, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at"
        }
        Document::SubscriptionSettings => {
            "INSERT INTO subscription_settings (workspace_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at"
        }
        Document::ChannelCodes => {
            "INSERT INTO channel_codes (workspace_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at"
        }
        Document::TagSync => {
            "INSERT INTO wecom_tag_sync (workspace_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at"
        }
        Document::ControlGroup => {
            "INSERT INTO control_groups (workspace_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at"
        }
        Document::LaunchSettings => {
            "INSERT INTO launch_settings (workspace_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at"
        }
    };
    sql(query).bind(ws.0).bind(Json(value)).bind(at).execute(pool).await.map_err(db_err)?;
    Ok(())
}
