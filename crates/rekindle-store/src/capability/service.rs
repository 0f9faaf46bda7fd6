//! Customer service's own rows: the store's service settings, its FAQ knowledge base and the
//! log of what the assistant answered and handed off. Tickets and conversations are not here:
//! they are events, folded by the engine (docs/service.md).

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::service::Settings;
use rekindle_core::service::faq::{Entry, Logged};

use crate::Result;

#[async_trait::async_trait]
pub trait Service: Send + Sync {
    /// The store's settings (the defaults until some are saved).
    async fn service_settings(&self, ws: WorkspaceId) -> Result<Settings>;
    async fn put_service_settings(&self, ws: WorkspaceId, settings: &Settings, at: DateTime<Utc>) -> Result<()>;

    /// The knowledge base, in the order entries were first added.
    async fn faq_entries(&self, ws: WorkspaceId) -> Result<Vec<Entry>>;
    /// Add entries, or replace those whose id is taken, in one transaction. Returns how many
    /// were new.
    async fn put_faq_entries(&self, ws: WorkspaceId, entries: &[Entry], at: DateTime<Utc>) -> Result<usize>;
    /// `NotFound` when the store has no such entry.
    async fn delete_faq_entry(&self, ws: WorkspaceId, id: &str) -> Result<()>;

    async fn log_faq(&self, ws: WorkspaceId, logged: &Logged) -> Result<()>;
    /// The latest questions logged, newest first; only hand-offs when `handed_off`.
    async fn faq_log(&self, ws: WorkspaceId, handed_off: bool, limit: u32) -> Result<Vec<Logged>>;
}
