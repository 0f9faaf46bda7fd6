use rekindle_core::identity::IdentityPolicy;
use rekindle_core::objects::{LiveSession, Product};
use rekindle_core::{Message, PersonId, WorkspaceId};

use std::sync::Arc;

use crate::{
    AppendReport, ConflictRecord, EventQuery, Inbox, MergeRecord, Person, PersonRef, Result, Source, StoredEvent,
    Totals, Workspace, WriteKey,
};

/// Everything Rekindle keeps. One implementation per database; all pass the conformance suite.
///
/// Every method that takes a [`WorkspaceId`] reads and writes that workspace only.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// Check the database answers.
    async fn ping(&self) -> Result<()>;

    /// The durable inbox ingestion acknowledges into, if this backend keeps one (see
    /// [`Inbox`]). Without one, ingestion acknowledges only after [`Store::append`].
    fn inbox(&self) -> Option<Arc<dyn Inbox>> {
        None
    }

    async fn create_workspace(&self, slug: &str, name: &str, time_zone: &str) -> Result<Workspace>;
    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>>;
    async fn workspaces(&self) -> Result<Vec<Workspace>>;

    /// Store a write key by the hash of its secret (see `rekindle_core::write_key`).
    async fn create_write_key(&self, ws: WorkspaceId, name: &str, hash: &str, prefix: &str) -> Result<WriteKey>;
    async fn write_keys(&self, ws: WorkspaceId) -> Result<Vec<WriteKey>>;
    /// Revoke a key; `NotFound` when the workspace has no such key.
    async fn revoke_write_key(&self, ws: WorkspaceId, id: i64) -> Result<()>;
    /// The live (not revoked) key with this hash, in whichever workspace.
    async fn write_key_by_hash(&self, hash: &str) -> Result<Option<WriteKey>>;

    /// Store messages as events, resolving identities, in one transaction: when this returns
    /// `Ok` everything is durable; on `Err` nothing was written. Messages whose id is already
    /// stored are skipped, so a retried batch never counts twice.
    async fn append(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<AppendReport>;

    /// A person by id (following merges to the survivor) or by any identifier.
    async fn person(&self, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Person>>;
    async fn events(&self, ws: WorkspaceId, query: &EventQuery) -> Result<Vec<StoredEvent>>;
    /// Merges into this person (or into anyone, with `None`), newest first.
    async fn merges(&self, ws: WorkspaceId, into: Option<PersonId>, limit: u32) -> Result<Vec<MergeRecord>>;
    /// Refused merges and links, newest first.
    async fn conflicts(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<ConflictRecord>>;
    async fn totals(&self, ws: WorkspaceId) -> Result<Totals>;

    /// Insert or replace products by SKU.
    async fn put_products(&self, ws: WorkspaceId, products: Vec<Product>) -> Result<()>;
    /// The catalogue, by SKU.
    async fn products(&self, ws: WorkspaceId) -> Result<Vec<Product>>;
    /// Insert or replace live sessions by id.
    async fn put_live_sessions(&self, ws: WorkspaceId, sessions: Vec<LiveSession>) -> Result<()>;
    /// The live-session schedule, by scheduled start.
    async fn live_sessions(&self, ws: WorkspaceId) -> Result<Vec<LiveSession>>;
}
