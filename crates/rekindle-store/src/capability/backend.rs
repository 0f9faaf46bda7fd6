//! The database behind a store: which one, whether it answers, and its inbox.

use crate::{Inbox, Result};
use std::sync::Arc;

/// The database behind a store: which one, whether it answers, and its inbox.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// Which backend this is, for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// Check the database answers.
    async fn ping(&self) -> Result<()>;

    /// The durable inbox ingestion acknowledges into, if this backend keeps one (see
    /// [`Inbox`]). Without one, ingestion acknowledges only after [`EventLog::append`](crate::EventLog::append).
    fn inbox(&self) -> Option<Arc<dyn Inbox>> {
        None
    }

    /// Call `woken` whenever another process may have appended to the log, so what follows the
    /// log in this one wakes for events ingested through other nodes too (docs/deploy.md,
    /// "Several nodes"). A backend only one process writes never calls it.
    fn on_appends_elsewhere(&self, woken: Box<dyn Fn() + Send + Sync>) {
        drop(woken);
    }

    /// Register what the backend counts on the server's `/metrics`; most count nothing.
    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        let _ = registry;
    }
}
