//! What journeys' readouts and attribution are computed from.

use chrono::{DateTime, Utc};
use rekindle_core::{JourneyId, WorkspaceId};

use crate::{CouponRecord, JourneyEntry, JourneyTouch, OptOut, ReadoutRow, Result, VariantCounts};

/// What journeys' readouts and attribution are computed from: counts for one journey's
/// readout, and plain rows (entries, touches, coupons, opt-outs) over a time range for the
/// engine to attribute — the arithmetic is done once, in the engine, for every backend.
#[async_trait::async_trait]
pub trait Readouts: Send + Sync {
    /// Counts of step outcomes by step, variant and outcome.
    async fn journey_step_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>>;
    /// Counts of message states by step, variant and state.
    async fn journey_message_counts(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ReadoutRow>>;
    /// People a journey's entry limits turned away who have not entered since, by the limit
    /// that last did (`entries_per_day`, `entries_total`).
    async fn journey_entry_refusals(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<(String, i64)>>;
    /// Entered and converted, by variant (the holdout included).
    async fn journey_conversions(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<VariantCounts>>;
    /// Every journey's entries in `from..to`, by enrollment id.
    async fn journey_entries(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<JourneyEntry>>;
    /// Journey messages sent or delivered in `from..to` (by when they were sent), oldest first.
    async fn journey_touches(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<JourneyTouch>>;
    /// Coupons issued in `from..to`, oldest first.
    async fn issued_coupons(
        &self,
        ws: WorkspaceId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CouponRecord>>;
    /// Consent withdrawn (on any channel) at or after `from`: one row per person and channel.
    async fn opt_outs_since(&self, ws: WorkspaceId, from: DateTime<Utc>) -> Result<Vec<OptOut>>;
}
