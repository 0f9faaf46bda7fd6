//! Message templates.

use crate::Result;
use rekindle_core::WorkspaceId;
use rekindle_core::outreach::MessageTemplate;

/// Message templates.
#[async_trait::async_trait]
pub trait Templates: Send + Sync {
    async fn put_message_template(&self, ws: WorkspaceId, template: &MessageTemplate) -> Result<()>;
    async fn message_templates(&self, ws: WorkspaceId) -> Result<Vec<MessageTemplate>>;
    /// `NotFound` when absent.
    async fn delete_message_template(&self, ws: WorkspaceId, name: &str) -> Result<()>;
}
