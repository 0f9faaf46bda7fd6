//! Journey drafts and their published versions.

use crate::{Journey, JourneyStatus, JourneyVersion, Result};
use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::{JourneyId, WorkspaceId};

/// Journey drafts and their published versions.
#[async_trait::async_trait]
pub trait Journeys: Send + Sync {
    /// `AlreadyExists` when the name is taken.
    async fn create_journey(
        &self,
        ws: WorkspaceId,
        name: &str,
        draft: &Definition,
        at: DateTime<Utc>,
    ) -> Result<Journey>;
    async fn journeys(&self, ws: WorkspaceId) -> Result<Vec<Journey>>;
    async fn journey(&self, ws: WorkspaceId, id: JourneyId) -> Result<Option<Journey>>;
    /// Replace the draft (and/or rename). `NotFound`, or `AlreadyExists` on a taken name.
    async fn update_journey(
        &self,
        ws: WorkspaceId,
        id: JourneyId,
        name: Option<&str>,
        draft: Option<&Definition>,
        at: DateTime<Utc>,
    ) -> Result<Journey>;
    /// Copy the draft into a new version and make it live.
    async fn publish_journey(
        &self,
        ws: WorkspaceId,
        id: JourneyId,
        by: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<JourneyVersion>;
    /// Pause, resume (live) or archive a published journey.
    async fn set_journey_status(
        &self,
        ws: WorkspaceId,
        id: JourneyId,
        status: JourneyStatus,
        at: DateTime<Utc>,
    ) -> Result<Journey>;
    /// Newest first.
    async fn journey_versions(&self, ws: WorkspaceId, id: JourneyId) -> Result<Vec<JourneyVersion>>;
    async fn journey_version(&self, ws: WorkspaceId, id: JourneyId, version: i32) -> Result<Option<JourneyVersion>>;
}
