use std::sync::Arc;

use rekindle_ingest::Ingestor;
use rekindle_store::Store;

use crate::auth::WriteKeyCache;
use crate::config::Secret;
use crate::routes::ops::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub ingestor: Ingestor,
    pub write_keys: WriteKeyCache,
    pub admin_token: Secret,
    pub metrics: Arc<Metrics>,
}
