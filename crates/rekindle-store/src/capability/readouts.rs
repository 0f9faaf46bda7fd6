//! Counts behind a journey's readout.

use crate::{ReadoutRow, Result, VariantCounts};
use rekindle_core::{JourneyId, WorkspaceId};

/// Counts behind a journey's readout.
#[async_trait::async_trait]
pub trait Readouts: Send + Sync {
    /// Counts of step outcomes by step, variant and outcome.
    async fn journey_step_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>>;
    /// Counts of message states by step, variant and state.
    async fn journey_message_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>>;
    /// Entered and converted, by variant (the holdout included).
    async fn journey_conversions(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<VariantCounts>>;
}
