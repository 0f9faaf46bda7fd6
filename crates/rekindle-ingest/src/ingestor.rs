//! Group commit: requests that arrive while a commit is running wait in a queue and are
//! written together by the next one, so one fsync acknowledges many requests. A request is
//! answered only after the transaction holding its messages has committed.

use std::sync::Arc;
use std::time::Instant;

use rekindle_core::identity::IdentityPolicy;
use rekindle_core::{Message, WorkspaceId};
use rekindle_store::{Source, Store, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::IngestMetrics;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Most messages written in one transaction.
    pub max_commit_messages: usize,
    /// Requests waiting for a commit before new ones are told to retry (HTTP 503).
    pub queue_depth: usize,
    /// Concurrent committers. Unset: one for SQLite (it has one writer), four for PostgreSQL.
    pub writers: Option<usize>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self { max_commit_messages: 5000, queue_depth: 1024, writers: None }
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
    ws: WorkspaceId,
    source: Source,
    messages: Vec<Message>,
    reply: oneshot::Sender<Result<(), IngestError>>,
}

/// The handle the HTTP layer submits batches through. Cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<Job>,
}

impl Ingestor {
    /// Start the committers on the current runtime.
    pub fn start(store: Arc<dyn Store>, policy: IdentityPolicy, config: IngestConfig, metrics: IngestMetrics) -> Self {
        let (queue, rx) = mpsc::channel(config.queue_depth.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let policy = Arc::new(policy);
        let writers = config.writers.unwrap_or(if store.backend() == "postgres" { 4 } else { 1 });
        for _ in 0..writers.max(1) {
            tokio::spawn(commit_loop(
                store.clone(),
                rx.clone(),
                policy.clone(),
                config.max_commit_messages.max(1),
                metrics.clone(),
            ));
        }
        Self { queue }
    }

    /// Store `messages` durably; returns once they are committed (or were already stored).
    pub async fn submit(&self, ws: WorkspaceId, source: Source, messages: Vec<Message>) -> Result<(), IngestError> {
        let (reply, answer) = oneshot::channel();
        self.queue.try_send(Job { ws, source, messages, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IngestError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => IngestError::Stopped,
        })?;
        answer.await.map_err(|_| IngestError::Stopped)?
    }
}

async fn commit_loop(
    store: Arc<dyn Store>,
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
    policy: Arc<IdentityPolicy>,
    max_messages: usize,
    metrics: IngestMetrics,
) {
    loop {
        let jobs = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut count = first.messages.len();
            let mut jobs = vec![first];
            while count < max_messages {
                match rx.try_recv() {
                    Ok(job) => {
                        count += job.messages.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            jobs
        };
        for group in group_by_target(jobs) {
            commit(&*store, &policy, group, &metrics).await;
        }
    }
}

/// Jobs for one workspace from one source share a transaction.
fn group_by_target(jobs: Vec<Job>) -> Vec<Vec<Job>> {
    let mut groups: Vec<Vec<Job>> = Vec::new();
    for job in jobs {
        match groups.iter_mut().find(|g| g[0].ws == job.ws && g[0].source == job.source) {
            Some(g) => g.push(job),
            None => groups.push(vec![job]),
        }
    }
    groups
}

async fn commit(store: &dyn Store, policy: &IdentityPolicy, jobs: Vec<Job>, metrics: &IngestMetrics) {
    let ws = jobs[0].ws;
    let source = jobs[0].source.clone();
    let mut messages = Vec::with_capacity(jobs.iter().map(|j| j.messages.len()).sum());
    let mut replies = Vec::with_capacity(jobs.len());
    for job in jobs {
        replies.push(job.reply);
        messages.extend(job.messages);
    }
    let started = Instant::now();
    let count = messages.len();
    let result = store.append(ws, messages, &source, policy).await;
    metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
    metrics.commit_messages.observe(count as f64);
    match result {
        Ok(report) => {
            metrics.commits.inc();
            metrics.record(&report);
            for reply in replies {
                let _ = reply.send(Ok(()));
            }
        }
        Err(e) => {
            metrics.commit_failures.inc();
            tracing::error!(error = %e, messages = count, "group commit failed");
            let reason = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(IngestError::Store(StoreError::Backend(reason.clone().into()))));
            }
        }
    }
}

#[cfg(test)]
mod tests;
