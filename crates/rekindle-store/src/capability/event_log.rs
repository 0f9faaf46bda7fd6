//! The event log: the one road in ([`EventLog::append`]) and the reads of what it holds.

use crate::{AppendReport, Appended, EventQuery, Horizon, MergeRecord, Result, Source, StoredEvent, Totals};
use chrono::{DateTime, Utc};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::{Message, WorkspaceId};

/// The event log: the one road in ([`EventLog::append`]) and the reads of what it holds.
#[async_trait::async_trait]
pub trait EventLog: Send + Sync {
    /// Store messages as events, resolving identities, in one transaction: when this returns
    /// `Ok` everything is durable (a derived append, [`crate::durability`], once [`Self::sync`]
    /// returns); on `Err` nothing was written. Messages whose id is already
    /// stored are skipped, so a retried batch never counts twice.
    async fn append(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<AppendReport>;

    /// [`Self::append`], also handing back what it added to the log where the backend can say
    /// it exactly (`None` where it cannot): the shared tail is fed from it rather than reading
    /// the events back (`tail.rs`). SQLite can: its one writer gives ids in commit order.
    async fn append_returning(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<(AppendReport, Option<Appended>)> {
        Ok((self.append(ws, messages, source, policy).await?, None))
    }

    /// Make every write committed so far durable, derived ones included
    /// ([`crate::durability`]): called before what they were derived from is let go.
    async fn sync(&self) -> Result<()>;

    async fn events(&self, ws: WorkspaceId, query: &EventQuery) -> Result<Vec<StoredEvent>>;
    async fn totals(&self, ws: WorkspaceId) -> Result<Totals>;

    /// When each person whose first event falls in `[from, to)` was first seen (their first
    /// event's time), in no particular order.
    async fn first_seen(&self, ws: WorkspaceId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>>;

    // The incremental read of the log (see [`Horizon`]).

    async fn horizon(&self, ws: WorkspaceId) -> Result<Horizon>;
    /// Events with ids in `(after, upto]`, in id order, at most `limit`.
    async fn events_between(&self, ws: WorkspaceId, after: i64, upto: i64, limit: u32) -> Result<Vec<StoredEvent>>;
    /// Merges with ids in `(after, upto]`, in id order.
    async fn merges_between(&self, ws: WorkspaceId, after: i64, upto: i64) -> Result<Vec<MergeRecord>>;
}
