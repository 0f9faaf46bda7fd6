//! Journal mode: acknowledge once a group is in the inbox, apply to the store behind.
//!
//! Two tasks joined by a bounded channel. The acknowledger keeps each group in the inbox (an
//! append-only write, quick whatever the store's size) and answers its requests. The applier
//! takes everything that has piled up meanwhile — up to `max_apply_messages` — and appends
//! it to the store in one transaction; a third task releases it from the inbox once the
//! store has it on disk, so the next append never waits for that fsync. Under load the
//! applier's transactions grow, which is what makes them cheap per event; when it falls
//! behind by a full channel, the acknowledger waits, the request queue fills and clients are
//! told to retry (429) instead of memory growing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rekindle_store::{Inbox, InboxBatch, InboxSeq, StoreError};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use super::progress::Progress;
use super::{Applier, IngestConfig, IngestError, Queue, merge_by_target, next_group};

/// Acknowledged groups waiting for the applier.
const APPLY_BACKLOG: usize = 256;
/// Longest wait between attempts to apply after the store failed.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// A group in the inbox, up to `seq`, on its way to the store.
struct Kept {
    seq: InboxSeq,
    batches: Vec<InboxBatch>,
    acknowledged: Instant,
}

pub(super) fn start(
    inbox: Arc<dyn Inbox>,
    applier: Applier,
    rx: Queue,
    config: &IngestConfig,
    progress: Arc<Progress>,
) {
    let (tx, kept) = mpsc::channel(APPLY_BACKLOG);
    let max_apply = config.max_apply_messages.max(1);
    tokio::spawn(acknowledge_loop(
        inbox.clone(),
        rx,
        tx,
        config.max_commit_messages.max(1),
        applier.clone(),
        progress.clone(),
    ));
    let budget = Budget::new(config.max_apply_millis);
    let (applied, to_release) = watch::channel(0);
    tokio::spawn(release_loop(inbox.clone(), applier.clone(), to_release));
    tokio::spawn(apply_loop(inbox, applier, kept, max_apply, budget, progress, applied));
}

/// The fewest messages a time-limited apply transaction takes: below this the commit's fixed
/// cost dominates and the applier would fall behind for want of throughput.
const MIN_APPLY: usize = 500;

/// How many messages an apply transaction may take to stay within its time budget.
pub(super) struct Budget {
    seconds: f64,
    /// Seconds per message of recent transactions, commit included (a moving average).
    per_message: Option<f64>,
    /// The last transaction left acknowledged groups waiting: the applier is not keeping up.
    behind: bool,
}

impl Budget {
    pub(super) fn new(millis: u64) -> Self {
        Self { seconds: millis as f64 / 1e3, per_message: None, behind: false }
    }

    /// Messages the next transaction may take, given `backlog` groups waiting.
    pub(super) fn limit(&self, max_messages: usize, backlog: usize) -> usize {
        // Falling behind: big transactions, cheapest per event, until it catches up. (Small
        // ones at full load halved `rekindle bench ingest`'s throughput.)
        if self.seconds <= 0.0 || self.behind || backlog >= APPLY_BACKLOG / 2 {
            return max_messages;
        }
        match self.per_message {
            Some(cost) if cost > 0.0 => ((self.seconds / cost) as usize).clamp(MIN_APPLY, max_messages.max(MIN_APPLY)),
            _ => max_messages,
        }
        .min(max_messages)
    }

    /// A transaction of `messages` took `took`, and left `left` groups waiting.
    pub(super) fn observe(&mut self, messages: usize, took: Duration, left: usize) {
        self.behind = left > 0;
        if messages == 0 {
            return;
        }
        let cost = took.as_secs_f64() / messages as f64;
        self.per_message = Some(self.per_message.map_or(cost, |c| 0.7 * c + 0.3 * cost));
    }
}

async fn acknowledge_loop(
    inbox: Arc<dyn Inbox>,
    rx: Queue,
    tx: mpsc::Sender<Kept>,
    max_messages: usize,
    applier: Applier,
    progress: Arc<Progress>,
) {
    while let Some(jobs) = next_group(&rx, max_messages).await {
        let (batches, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.batch, j.reply)).unzip();
        let batches = merge_by_target(batches);
        let started = Instant::now();
        let pushed = inbox.push(&batches).await;
        applier.metrics.inbox_seconds.observe(started.elapsed().as_secs_f64());
        match pushed {
            Ok(seq) => {
                // Counted before anyone hears back, so a read after the answer waits for it.
                progress.acknowledged(seq);
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
                if tx.send(Kept { seq, batches, acknowledged: Instant::now() }).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "keeping a group in the inbox failed");
                let reason = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(IngestError::Store(StoreError::Backend(reason.clone().into()))));
                }
            }
        }
    }
}

async fn apply_loop(
    inbox: Arc<dyn Inbox>,
    applier: Applier,
    mut kept: mpsc::Receiver<Kept>,
    max_messages: usize,
    mut budget: Budget,
    progress: Arc<Progress>,
    to_release: watch::Sender<InboxSeq>,
) {
    let mut applied = recover_until_done(&*inbox, &applier, max_messages, &progress).await;
    progress.recovered();
    while let Some(first) = kept.recv().await {
        let limit = budget.limit(max_messages, kept.len());
        // Groups a recovery already read back from the inbox and applied are dropped one by
        // one, before merging, so none is applied twice.
        let mut seq = applied;
        let mut count = 0;
        let mut batches = Vec::new();
        let mut acknowledged = Vec::new();
        for group in std::iter::once(first).chain(std::iter::from_fn(|| kept.try_recv().ok())) {
            if group.seq > applied {
                seq = group.seq;
                count += group.batches.iter().map(|b| b.messages.len()).sum::<usize>();
                batches.extend(group.batches);
                acknowledged.push(group.acknowledged);
            }
            if count >= limit {
                break;
            }
        }
        if batches.is_empty() {
            continue;
        }
        // What this take left behind (not what arrives while it applies).
        let left = kept.len();
        let span = tracing::info_span!("apply", messages = count, upto = seq);
        let started = Instant::now();
        applied = match append_all(&applier, merge_by_target(batches)).instrument(span).await {
            Ok(()) => {
                budget.observe(count, started.elapsed(), left);
                for at in acknowledged {
                    applier.metrics.apply_delay_seconds.observe(at.elapsed().as_secs_f64());
                }
                to_release.send_replace(seq);
                seq
            }
            // The store failed and wrote nothing. The messages are acknowledged, so giving up
            // would lose them: they are in the inbox, and recovery applies from there.
            Err(_) => recover_until_done(&*inbox, &applier, max_messages, &progress).await,
        };
        progress.applied(applied);
    }
}

/// Apply batches to the store. The appends are derived from the inbox
/// (`rekindle_store::durability`): they do not wait for the disk while holding the store's
/// writer, and the inbox keeps them until [`release`] has synced the store.
async fn append_all(applier: &Applier, batches: Vec<InboxBatch>) -> Result<(), StoreError> {
    rekindle_store::durability::derived(async {
        for batch in batches {
            applier.apply(batch).await?;
        }
        Ok(())
    })
    .await
}

/// Let the inbox go of everything up to `upto`, which is applied: the store is synced first
/// (one fsync covers every append committed before it), so a power cut after the release
/// finds it all in the store.
async fn release(inbox: &dyn Inbox, applier: &Applier, upto: InboxSeq) -> Result<(), StoreError> {
    applier.store.sync().await?;
    if let Err(e) = inbox.release(upto).await {
        // Harmless: the next release covers these too, and applying them again is a no-op.
        tracing::warn!(error = %e, "releasing applied messages from the inbox failed");
    }
    Ok(())
}

/// Releases what the applier applied, behind it: under 10,000 events/s an applier that
/// waited for the store's fsync held back every message acknowledged meanwhile (issue 24).
/// Releases coalesce: one sync covers all the appends since the last. When the applier
/// stops, what it applied last is released before this ends.
async fn release_loop(inbox: Arc<dyn Inbox>, applier: Applier, mut applied: watch::Receiver<InboxSeq>) {
    let mut released = 0;
    let mut wait = Duration::from_millis(100);
    loop {
        let stopped = applied.changed().await.is_err();
        let upto = *applied.borrow_and_update();
        while upto > released {
            let started = Instant::now();
            match release(&*inbox, &applier, upto).await {
                Ok(()) => {
                    tracing::debug!(upto, took_ms = started.elapsed().as_secs_f64() * 1e3, "applied messages released");
                    released = upto;
                    wait = Duration::from_millis(100);
                }
                // Nothing is let go unsynced: the inbox keeps it, and a restart applies it
                // again (a no-op for what the store already has).
                Err(e) if stopped => {
                    tracing::error!(error = %e, "syncing the store failed; the inbox keeps what was applied");
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, retry_in = ?wait, "syncing the store failed");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_RETRY_WAIT);
                }
            }
        }
        if stopped {
            return;
        }
    }
}

/// Apply everything the inbox holds, retrying with growing waits until it succeeds. Returns
/// the last sequence number applied.
async fn recover_until_done(
    inbox: &dyn Inbox,
    applier: &Applier,
    max_messages: usize,
    progress: &Progress,
) -> InboxSeq {
    let mut wait = Duration::from_millis(100);
    loop {
        match recover(inbox, applier, max_messages, progress).await {
            Ok(seq) => return seq,
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?wait, "applying the inbox failed");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY_WAIT);
            }
        }
    }
}

/// Apply what the inbox holds (after a restart: what the last run acknowledged and did not
/// apply) in chunks of about `max_messages`, releasing as it goes.
async fn recover(
    inbox: &dyn Inbox,
    applier: &Applier,
    max_messages: usize,
    progress: &Progress,
) -> Result<InboxSeq, StoreError> {
    let pending = inbox.pending().await?;
    let Some(last) = pending.last().map(|(seq, _)| *seq) else { return Ok(progress.applied_seq()) };
    progress.acknowledged(last);
    let count: usize = pending.iter().map(|(_, b)| b.messages.len()).sum();
    tracing::info!(messages = count, "applying acknowledged messages from the inbox");
    let mut chunk = Vec::new();
    let mut size = 0;
    for (seq, batch) in pending {
        size += batch.messages.len();
        chunk.push(batch);
        if size >= max_messages || seq == last {
            append_all(applier, merge_by_target(std::mem::take(&mut chunk))).await?;
            release(inbox, applier, seq).await?;
            progress.applied(seq);
            size = 0;
        }
    }
    Ok(last)
}
