//! The catalogue and the live-session schedule.

use crate::Result;
use rekindle_core::WorkspaceId;
use rekindle_core::objects::{LiveSession, Product};

/// The catalogue and the live-session schedule.
#[async_trait::async_trait]
pub trait Catalogue: Send + Sync {
    /// Insert or replace products by SKU.
    async fn put_products(&self, ws: WorkspaceId, products: Vec<Product>) -> Result<()>;
    /// Remove products by SKU; an unknown SKU is no error (a repeated removal changes nothing).
    async fn delete_products(&self, ws: WorkspaceId, skus: Vec<String>) -> Result<()>;
    /// The catalogue, by SKU.
    async fn products(&self, ws: WorkspaceId) -> Result<Vec<Product>>;
    /// Insert or replace live sessions by id.
    async fn put_live_sessions(&self, ws: WorkspaceId, sessions: Vec<LiveSession>) -> Result<()>;
    /// The live-session schedule, by scheduled start.
    async fn live_sessions(&self, ws: WorkspaceId) -> Result<Vec<LiveSession>>;
}
