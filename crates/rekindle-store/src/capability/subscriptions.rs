//! A store's subscription settings (定期购, docs/subscriptions.md): when a shipment's
//! confirmation is asked, until when it is answered, what an unanswered one does. The
//! subscriptions themselves are events, folded by the engine.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::subscription::Settings;

use crate::Result;

#[async_trait::async_trait]
pub trait SubscriptionSettings: Send + Sync {
    /// The store's settings (the defaults until some are saved).
    async fn subscription_settings(&self, ws: WorkspaceId) -> Result<Settings>;
    async fn put_subscription_settings(&self, ws: WorkspaceId, settings: &Settings, at: DateTime<Utc>) -> Result<()>;
}
