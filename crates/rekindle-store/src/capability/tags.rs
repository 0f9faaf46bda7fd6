//! Tag definitions and the manual tags on people.

use crate::{PersonTag, Result, Tag};
use rekindle_core::{PersonId, WorkspaceId};

/// Tag definitions and the manual tags on people.
#[async_trait::async_trait]
pub trait Tags: Send + Sync {
    /// Create or replace a tag's definition.
    async fn put_tag(&self, ws: WorkspaceId, tag: &Tag) -> Result<()>;
    /// By name.
    async fn tags(&self, ws: WorkspaceId) -> Result<Vec<Tag>>;
    /// The tag and every manual use of it. `NotFound` when absent.
    async fn delete_tag(&self, ws: WorkspaceId, name: &str) -> Result<()>;
    /// Put a manual tag on a person (again: no change). `NotFound` when the tag is not defined.
    async fn tag_person(&self, ws: WorkspaceId, tag: &PersonTag) -> Result<()>;
    /// `NotFound` when the person does not carry the tag.
    async fn untag_person(&self, ws: WorkspaceId, person: PersonId, tag: &str) -> Result<()>;
    /// Manual tags: of one person, or of everyone.
    async fn person_tags(&self, ws: WorkspaceId, person: Option<PersonId>) -> Result<Vec<PersonTag>>;
}
