//! Direct mode: a group is acknowledged once it is appended to the store. Several committers
//! run at once; each takes the next group from the shared queue.

use rekindle_store::StoreError;
use tracing::Instrument;

use super::{Applier, IngestConfig, IngestError, Queue, merge_by_target, next_group};

pub(super) fn start(applier: Applier, rx: Queue, config: &IngestConfig) {
    // SQLite has one writer: more committers would only split the groups.
    let default = if applier.store.backend() == "sqlite" { 1 } else { 4 };
    for _ in 0..config.writers.unwrap_or(default).max(1) {
        tokio::spawn(commit_loop(applier.clone(), rx.clone(), config.max_commit_messages.max(1)));
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
