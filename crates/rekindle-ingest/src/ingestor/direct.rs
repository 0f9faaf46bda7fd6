//! Direct mode: a group is acknowledged once it is appended to the store.
//!
//! Each workspace has a lane of its own, with its own committers. A workspace's large appends
//! run one at a time whatever this node does (PostgreSQL locks the workspace for them, SQLite
//! has one writer), so committers shared by every workspace only split one workspace's queue
//! into smaller appends waiting on each other: on PostgreSQL, four of them made appends of
//! ~320 messages and 10.6k events/s where one per workspace makes ~800 and 12.3k
//! (docs/benchmarks.md). Lanes keep other workspaces committing beside a busy one.

use std::collections::HashMap;
use std::sync::Arc;

use rekindle_core::WorkspaceId;
use rekindle_store::StoreError;
use tokio::sync::{Mutex, mpsc};
use tracing::Instrument;

use super::{Applier, IngestConfig, IngestError, Job, Queue, merge_by_target, next_group};

pub(super) fn start(applier: Applier, rx: Queue, config: &IngestConfig) {
    let lanes = Lanes {
        applier,
        committers: config.writers.unwrap_or(1).max(1),
        max_messages: config.max_commit_messages.max(1),
        depth: config.queue_depth.max(1),
        open: HashMap::new(),
    };
    tokio::spawn(lanes.route(rx));
}

struct Lanes {
    applier: Applier,
    /// Committers per workspace.
    committers: usize,
    max_messages: usize,
    depth: usize,
    open: HashMap<WorkspaceId, mpsc::Sender<Job>>,
}

impl Lanes {
    /// Hand each request to its workspace's lane. A full lane holds the others back until it
    /// has room, and the shared queue fills: new requests are then refused (HTTP 429).
    async fn route(mut self, rx: Queue) {
        loop {
            let job = rx.lock().await.recv().await;
            let Some(job) = job else { break };
            let lane = self.lane(job.batch.ws);
            if let Err(mpsc::error::SendError(job)) = lane.send(job).await {
                let _ = job.reply.send(Err(IngestError::Stopped));
            }
        }
    }

    fn lane(&mut self, ws: WorkspaceId) -> mpsc::Sender<Job> {
        let (applier, committers, max_messages, depth) =
            (&self.applier, self.committers, self.max_messages, self.depth);
        self.open
            .entry(ws)
            .or_insert_with(|| {
                let (tx, rx) = mpsc::channel(depth);
                let rx: Queue = Arc::new(Mutex::new(rx));
                for _ in 0..committers {
                    tokio::spawn(commit_loop(applier.clone(), rx.clone(), max_messages));
                }
                tx
            })
            .clone()
    }
}

async fn commit_loop(applier: Applier, rx: Queue, max_messages: usize) {
    while let Some(jobs) = next_group(&rx, max_messages).await {
        let (batches, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.batch, j.reply)).unzip();
        // One result for the whole group: a failed append wrote nothing, so all of it retries.
        let mut result = Ok(());
        for batch in merge_by_target(batches) {
            let span = tracing::info_span!("apply", messages = batch.messages.len());
            if let Err(e) = applier.apply(batch).instrument(span).await {
                result = Err(e.to_string());
                break;
            }
        }
        for reply in replies {
            let answer = result.clone().map_err(|e| IngestError::Store(StoreError::Backend(e.into())));
            let _ = reply.send(answer);
        }
    }
}
