//! People walking journeys, and where the journey runner is in the log and the change records.

use crate::{Advance, ChangeCursors, Enrollment, EnrollmentState, NewEnrollment, Queued, Result, WalkedEntry};
use chrono::{DateTime, Utc};
use rekindle_core::outreach::CapsConfig;
use rekindle_core::{PersonId, WorkspaceId};

/// People walking journeys, and where the journey runner is in the log and the change records.
#[async_trait::async_trait]
pub trait Enrollments: Send + Sync {
    /// Enter a person, unless this trigger enrolled them already or the re-entry policy
    /// forbids it (`None`).
    async fn enroll(&self, ws: WorkspaceId, new: &NewEnrollment) -> Result<Option<Enrollment>>;
    async fn enrollment(&self, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>>;
    /// [`Enrollments::enroll`] for several, in order. SQLite does it in one transaction; the
    /// default, one transaction each, keeps PostgreSQL's per-person locks from being taken in
    /// two orders by two nodes at once.
    async fn enroll_many(&self, ws: WorkspaceId, new: &[NewEnrollment]) -> Result<Vec<Option<Enrollment>>> {
        let mut out = Vec::with_capacity(new.len());
        for n in new {
            out.push(self.enroll(ws, n).await?);
        }
        Ok(out)
    }
    /// [`Enrollments::advance`] for several, in order (transactions as in `enroll_many`).
    async fn advance_many(
        &self,
        ws: WorkspaceId,
        advances: &[Advance],
        caps: &CapsConfig,
    ) -> Result<Vec<Option<Vec<Queued>>>> {
        let mut out = Vec::with_capacity(advances.len());
        for a in advances {
            out.push(self.advance(ws, a, caps).await?);
        }
        Ok(out)
    }
    /// `n` ids for enrollments not yet written, none of them any other enrollment's, so an
    /// entry's first walk can be planned before the entry is written ([`WalkedEntry`]). An id
    /// reserved and never used is skipped.
    async fn reserve_enrollment_ids(&self, n: usize) -> Result<Vec<i64>>;
    /// Enter each (as [`Enrollments::enroll`], under its reserved id) and apply its planned
    /// walk, in order: each entry's fate, `None` where the entry was refused (its walk is
    /// dropped). One write for an entry and its walk instead of two, which is what an event's
    /// way to the outbox waits for on SQLite's one writer (issue 24). SQLite writes them all
    /// in one transaction; PostgreSQL one transaction each, as `enroll_many`.
    async fn enter_walked(
        &self,
        ws: WorkspaceId,
        entries: &[WalkedEntry],
        caps: &CapsConfig,
    ) -> Result<Vec<Option<Vec<Queued>>>>;
    /// Apply a walk's result: `Ok(None)` when the enrollment moved on meanwhile (nothing
    /// written), else each message's fate, in order. Caps are counted per message with `caps`.
    async fn advance(&self, ws: WorkspaceId, advance: &Advance, caps: &CapsConfig) -> Result<Option<Vec<Queued>>>;
    /// Active enrollments whose wait is over, oldest wake first.
    async fn due_enrollments(&self, ws: WorkspaceId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Enrollment>>;
    /// A person's enrollments that are not over (active, finished or held out), by id.
    async fn open_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>>;
    /// Mark converted (goal reached at `at`) or exited; no-op on an enrollment already closed.
    async fn close_enrollment(&self, ws: WorkspaceId, id: i64, state: EnrollmentState, at: DateTime<Utc>)
    -> Result<()>;
    /// A person's enrollments, newest first.
    async fn person_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>>;
    /// The last event id the journey runner has seen (0 at first).
    async fn journey_cursor(&self, ws: WorkspaceId) -> Result<i64>;
    async fn set_journey_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()>;
    /// Where the journey runner is in the recorded segment and stage changes: the last of each
    /// it has acted on. Before any is written down, the last recorded so far: a runner starts
    /// at the present and never replays history.
    async fn change_cursors(&self, ws: WorkspaceId) -> Result<ChangeCursors>;
    /// Only forward, each cursor on its own.
    async fn set_change_cursors(&self, ws: WorkspaceId, cursors: ChangeCursors) -> Result<()>;
}
