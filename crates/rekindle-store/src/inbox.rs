//! The ingestion inbox: a durable, append-only holding area in front of [`EventLog::append`].
//!
//! Applying a batch to the indexed tables costs less per event the bigger the transaction
//! (random index pages are written once per commit, however many events touched them), but a
//! client waits for its acknowledgement. With an inbox, a request is acknowledged as soon as
//! its messages are durable here, an append-only write; ingestion then applies them to the
//! store in large batches and releases them. Applying is idempotent (the store skips stored
//! message ids), so a crash between applying and releasing only repeats work.
//!
//! [`EventLog::append`]: crate::EventLog::append

use rekindle_core::{Message, WorkspaceId};

use crate::{Result, Source};

/// Messages from one source for one workspace, as one request or group commit brought them.
#[derive(Debug, Clone)]
pub struct InboxBatch {
    pub ws: WorkspaceId,
    pub source: Source,
    pub messages: Vec<Message>,
}

/// Position of a message in the inbox; grows with every message ever kept.
pub type InboxSeq = u64;

#[async_trait::async_trait]
pub trait Inbox: Send + Sync + 'static {
    /// Keep these batches durably, in one transaction. Returns the sequence number of the
    /// last message kept (the previous one when `batches` holds no message).
    async fn push(&self, batches: &[InboxBatch]) -> Result<InboxSeq>;

    /// Every batch kept and not yet released, oldest first, with the sequence number of its
    /// last message. Read after a restart.
    async fn pending(&self) -> Result<Vec<(InboxSeq, InboxBatch)>>;

    /// Forget every message up to and including `seq`: it has been applied.
    async fn release(&self, upto: InboxSeq) -> Result<()>;
}
