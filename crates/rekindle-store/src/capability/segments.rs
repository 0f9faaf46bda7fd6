//! Segments: definitions with their versions, membership, and its recorded changes and sizes.

use crate::{MembershipChange, NewSegment, Result, Segment, SegmentEdit, SegmentMember, SegmentSize, SegmentVersion};
use chrono::{DateTime, Utc};
use rekindle_core::{PersonId, SegmentId, WorkspaceId};

/// Segments: definitions with their versions, membership, and its recorded changes and sizes.
#[async_trait::async_trait]
pub trait Segments: Send + Sync {
    /// `AlreadyExists` when the workspace has a segment of that name.
    async fn create_segment(&self, ws: WorkspaceId, segment: &NewSegment) -> Result<Segment>;
    /// By name.
    async fn segments(&self, ws: WorkspaceId) -> Result<Vec<Segment>>;
    async fn segment(&self, ws: WorkspaceId, id: SegmentId) -> Result<Option<Segment>>;
    /// Newest first.
    async fn segment_versions(&self, ws: WorkspaceId, id: SegmentId) -> Result<Vec<SegmentVersion>>;
    /// `NotFound`, or `AlreadyExists` when renaming onto another segment's name.
    async fn update_segment(&self, ws: WorkspaceId, id: SegmentId, edit: &SegmentEdit) -> Result<Segment>;
    /// The segment and its membership; its recorded changes stay. `NotFound` when absent.
    async fn delete_segment(&self, ws: WorkspaceId, id: SegmentId) -> Result<()>;
    /// Members by person id, after `after`.
    async fn segment_members(
        &self,
        ws: WorkspaceId,
        id: SegmentId,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<SegmentMember>>;
    /// Every membership of the workspace: (segment, person).
    async fn all_segment_members(&self, ws: WorkspaceId) -> Result<Vec<(SegmentId, PersonId)>>;
    /// Apply entries and exits to membership, record them, and record the sizes; one
    /// transaction.
    async fn record_membership(
        &self,
        ws: WorkspaceId,
        changes: &[MembershipChange],
        sizes: &[SegmentSize],
    ) -> Result<()>;
    /// Newest first.
    async fn segment_changes(&self, ws: WorkspaceId, id: SegmentId, limit: u32) -> Result<Vec<MembershipChange>>;
    /// Sizes recorded since `since`, oldest first.
    async fn segment_sizes(&self, ws: WorkspaceId, id: SegmentId, since: DateTime<Utc>) -> Result<Vec<SegmentSize>>;

    /// Entries and exits recorded after the one with id `after`, oldest first, with their ids
    /// (what the journey runner acts on).
    async fn membership_changes_after(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, MembershipChange)>>;
}
