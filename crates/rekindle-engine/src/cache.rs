//! The audience of each workspace, kept for a short while: building one reads every event,
//! and the dashboard and person pages ask for it often. Until profiles are stored and kept
//! up to date as events arrive (issue 5), this is how the console sees stages and tiers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rekindle_core::WorkspaceId;
use rekindle_core::lifecycle::LifecycleConfig;
use rekindle_store::{EventQuery, Store};

use crate::Audience;

pub struct AudienceCache {
    ttl: Duration,
    lifecycle: LifecycleConfig,
    entries: Mutex<HashMap<WorkspaceId, (Instant, Arc<Audience>)>>,
}

impl AudienceCache {
    pub fn new(ttl: Duration, lifecycle: LifecycleConfig) -> Self {
        Self { ttl, lifecycle, entries: Mutex::default() }
    }

    /// The lifecycle thresholds audiences are judged by.
    pub fn lifecycle(&self) -> &LifecycleConfig {
        &self.lifecycle
    }

    /// The workspace's audience as of its latest event (so a store whose events stopped, a
    /// demo among them, is seen as it last was), at most `ttl` old.
    pub async fn get(&self, store: &dyn Store, ws: WorkspaceId) -> rekindle_store::Result<Arc<Audience>> {
        if let Some((at, audience)) = self.entries.lock().unwrap_or_else(|p| p.into_inner()).get(&ws)
            && at.elapsed() < self.ttl
        {
            return Ok(audience.clone());
        }
        let latest = store.events(ws, &EventQuery { limit: 1, ..Default::default() }).await?;
        let now = latest.first().map_or_else(Utc::now, |e| e.timestamp);
        let audience = Arc::new(Audience::load(store, ws, now, &self.lifecycle).await?);
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, (Instant::now(), audience.clone()));
        Ok(audience)
    }
}
