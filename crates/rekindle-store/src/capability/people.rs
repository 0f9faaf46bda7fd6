//! People as OneID resolved them: one person, search, and the merges and conflicts behind them.

use crate::{ConflictRecord, MergeRecord, Person, PersonRef, Result};
use rekindle_core::{Identifier, PersonId, WorkspaceId};

/// People as OneID resolved them: one person, search, and the merges and conflicts behind them.
#[async_trait::async_trait]
pub trait People: Send + Sync {
    /// A person by id (following merges to the survivor) or by any identifier.
    async fn person(&self, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Person>>;
    /// Merges into this person (or into anyone, with `None`), newest first.
    async fn merges(&self, ws: WorkspaceId, into: Option<PersonId>, limit: u32) -> Result<Vec<MergeRecord>>;
    /// Refused merges and links, newest first.
    async fn conflicts(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<ConflictRecord>>;

    /// People whose identifiers include one of `identifiers`, or whose nickname contains
    /// `text`, most recently updated first.
    async fn search_people(
        &self,
        ws: WorkspaceId,
        identifiers: &[Identifier],
        text: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Person>>;
}
