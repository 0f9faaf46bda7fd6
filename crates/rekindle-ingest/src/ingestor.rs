//! Getting batches durably stored, many requests per disk write.
//!
//! Requests that arrive while a write is running wait in a queue and are written together by
//! the next one, so one fsync acknowledges many requests. A request is answered only once its
//! messages are durable. Two ways, chosen by the store:
//!
//! - **journal** (stores with an [`Inbox`], i.e. SQLite): acknowledge when the group is in the
//!   append-only inbox, then apply to the store in large transactions in the background
//!   (`journal.rs`). Reads wait for [`Ingestor::settled`] to see every acknowledged event.
//! - **direct** (PostgreSQL): acknowledge when the group is appended to the store
//!   (`direct.rs`), each workspace committing beside the others.
//!
//! [`Inbox`]: rekindle_store::Inbox

mod direct;
mod journal;
mod progress;

use std::sync::Arc;
use std::time::Duration;

use rekindle_core::identity::IdentityPolicy;
use rekindle_core::{Message, WorkspaceId};
use rekindle_store::tail::Tail;
use rekindle_store::{AppendReport, InboxBatch, Source, Store, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::IngestMetrics;
use progress::Progress;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Most messages acknowledged by one disk write.
    pub max_commit_messages: usize,
    /// Most messages applied to the store in one transaction (journal mode). Reached only when
    /// ingestion runs at the store's limit: the applier takes what piled up meanwhile, and the
    /// bigger the transaction, the less each event costs (random index pages are shared).
    pub max_apply_messages: usize,
    /// While the applier keeps up (journal mode), an apply transaction takes about this long at
    /// most, by the cost per message it measured: the store has one writer, and the journey
    /// runner's enrollments and messages wait behind whatever transaction holds it. Once the
    /// applier falls behind, transactions grow to `max_apply_messages` again (throughput
    /// first). 0 (the default): no limit but `max_apply_messages`.
    pub max_apply_millis: u64,
    /// Requests waiting for a commit before new ones are told to retry (HTTP 429).
    pub queue_depth: usize,
    /// Committers per workspace in direct mode (each workspace has its own; see
    /// `ingestor/direct.rs`). Unset: one, which gathers everything queued for the workspace
    /// into one append.
    pub writers: Option<usize>,
    /// Acknowledge from the store's inbox when it has one (SQLite); `false` acknowledges only
    /// after each append, which is slower but makes every acknowledged event readable at once.
    pub inbox: bool,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_commit_messages: 5000,
            max_apply_messages: 100_000,
            // Off: on the project's machine it cost ingestion ~13% and no tail gain was shown
            // (docs/benchmarks.md, issue 24).
            max_apply_millis: 0,
            queue_depth: 1024,
            writers: None,
            inbox: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("ingestion is overloaded; retry later")]
    Overloaded,
    #[error("ingestion has stopped")]
    Stopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Job {
    batch: InboxBatch,
    reply: oneshot::Sender<Result<(), IngestError>>,
}

type Queue = Arc<Mutex<mpsc::Receiver<Job>>>;

/// The handle the HTTP layer submits batches through. Cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<Job>,
    progress: Arc<Progress>,
    appended: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Ingestor {
    /// Start ingestion on the current runtime. In journal mode this first applies whatever
    /// an earlier run acknowledged and had not applied; [`Ingestor::settled`] waits for it.
    /// `log` is the followers' shared tail, fed what each append wrote (`tail.rs`).
    pub fn start(
        store: Arc<dyn Store>,
        policy: IdentityPolicy,
        config: IngestConfig,
        metrics: IngestMetrics,
        log: Option<Arc<Tail>>,
    ) -> Self {
        let (queue, rx) = mpsc::channel(config.queue_depth.max(1));
        let rx: Queue = Arc::new(Mutex::new(rx));
        let appended = Arc::new(tokio::sync::watch::Sender::new(0));
        let applier =
            Applier { store: store.clone(), policy: Arc::new(policy), metrics, appended: appended.clone(), log };
        let inbox = store.inbox().filter(|_| config.inbox);
        let progress = Arc::new(Progress::new(inbox.is_some(), applier.metrics.apply_lag.clone()));
        match inbox {
            Some(inbox) => journal::start(inbox, applier, rx, &config, progress.clone()),
            None => direct::start(applier, rx, &config),
        }
        Self { queue, progress, appended }
    }

    /// Ingestion without the inbox, with the default settings: `submit` returns once the
    /// store holds the messages, so whoever wrote them reads them at once (tools, tests).
    pub fn direct(store: Arc<dyn Store>, policy: IdentityPolicy) -> Self {
        Self::start(
            store,
            policy,
            IngestConfig { inbox: false, ..IngestConfig::default() },
            IngestMetrics::default(),
            None,
        )
    }

    /// Changes after every append that stored something, so what reacts to new events (the
    /// journey runner, the live rooms) wakes at once instead of polling. Each reader takes its
    /// own receiver; a change made while it was busy is seen at its next wait.
    pub fn appended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.appended.subscribe()
    }

    /// What wakes the readers of [`Ingestor::appended`] when another node appended (see
    /// `Backend::on_appends_elsewhere`). It holds the ingestor weakly: it does nothing once
    /// the ingestor is gone.
    pub fn waker(&self) -> Box<dyn Fn() + Send + Sync> {
        let appended = Arc::downgrade(&self.appended);
        Box::new(move || {
            if let Some(a) = appended.upgrade() {
                a.send_modify(|n| *n = n.wrapping_add(1));
            }
        })
    }

    /// Store `messages` durably; returns once they are (or were already) durable.
    pub async fn submit(&self, ws: WorkspaceId, source: Source, messages: Vec<Message>) -> Result<(), IngestError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { batch: InboxBatch { ws, source, messages }, reply };
        self.queue.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IngestError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => IngestError::Stopped,
        })?;
        answer.await.map_err(|_| IngestError::Stopped)?
    }

    /// Wait until everything acknowledged before this call is in the store, or `timeout`
    /// passes (returns `false` then). Immediate in direct mode.
    pub async fn settled(&self, timeout: Duration) -> bool {
        self.progress.settled(timeout).await
    }
}

/// Takes the next group from the queue: the first job to arrive and whatever else is
/// already waiting, up to `max_messages`. `None` once the queue is closed and empty.
async fn next_group(rx: &Queue, max_messages: usize) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut count = first.batch.messages.len();
    let mut jobs = vec![first];
    while count < max_messages {
        match rx.try_recv() {
            Ok(job) => {
                count += job.batch.messages.len();
                jobs.push(job);
            }
            Err(_) => break,
        }
    }
    Some(jobs)
}

/// Batches for one workspace from one source become one, in arrival order, so they share a
/// transaction.
fn merge_by_target(batches: impl IntoIterator<Item = InboxBatch>) -> Vec<InboxBatch> {
    let mut merged: Vec<InboxBatch> = Vec::new();
    for batch in batches {
        match merged.iter_mut().find(|m| m.ws == batch.ws && m.source == batch.source) {
            Some(m) => m.messages.extend(batch.messages),
            None => merged.push(batch),
        }
    }
    merged
}

/// Appends batches to the store and counts what happened.
#[derive(Clone)]
struct Applier {
    store: Arc<dyn Store>,
    policy: Arc<IdentityPolicy>,
    metrics: IngestMetrics,
    appended: Arc<tokio::sync::watch::Sender<u64>>,
    log: Option<Arc<Tail>>,
}

impl Applier {
    async fn apply(&self, batch: InboxBatch) -> Result<AppendReport, StoreError> {
        let started = std::time::Instant::now();
        let count = batch.messages.len();
        let result = match &self.log {
            Some(log) => {
                let feed = log.feed(batch.ws);
                let written = self.store.append_returning(batch.ws, batch.messages, &batch.source, &self.policy).await;
                written.map(|(report, appended)| {
                    // Before the followers are woken: they find the events in memory.
                    if let Some(appended) = appended {
                        feed.push(appended);
                    }
                    report
                })
            }
            None => self.store.append(batch.ws, batch.messages, &batch.source, &self.policy).await,
        };
        self.metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
        self.metrics.commit_messages.observe(count as f64);
        match &result {
            Ok(report) => {
                self.metrics.commits.inc();
                self.metrics.record(report);
                if report.stored > 0 {
                    self.appended.send_modify(|n| *n = n.wrapping_add(1));
                }
            }
            Err(e) => {
                self.metrics.commit_failures.inc();
                tracing::error!(error = %e, messages = count, "append to the store failed");
            }
        }
        result
    }
}

#[cfg(test)]
mod tests;
