//! Subscription settings, one document per workspace. Same answers as SQLite's
//! subscriptions.rs.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::subscription::Settings;
use rekindle_store::{Result, SubscriptionSettings};

use crate::PostgresStore;
use crate::documents::{self, Document};

#[async_trait::async_trait]
impl SubscriptionSettings for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn subscription_settings(&self, ws: WorkspaceId) -> Result<Settings> {
        Ok(documents::read(&self.pool, Document::SubscriptionSettings, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_subscription_settings(&self, ws: WorkspaceId, settings: &Settings, at: DateTime<Utc>) -> Result<()> {
        documents::write(&self.pool, Document::SubscriptionSettings, ws, settings, at).await
    }
}
