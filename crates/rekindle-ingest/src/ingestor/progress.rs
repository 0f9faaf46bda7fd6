//! How far ingestion has got: the last message acknowledged and the last applied to the
//! store, so a read can wait until it sees everything acknowledged before it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::metrics::gauge::Gauge;
use std::time::Duration;

use tokio::sync::watch;

pub(super) struct Progress {
    acknowledged: AtomicU64,
    applied: watch::Sender<Applied>,
    /// The gauge of acknowledged-but-unapplied messages, set under a lock so that a late
    /// update from one side never overwrites a newer one from the other.
    lag: Mutex<Gauge>,
}

#[derive(Clone, Copy)]
struct Applied {
    seq: u64,
    /// What an earlier run left in the inbox is applied (its sequence numbers are not known
    /// until it has been read, so until then nothing counts as settled).
    recovered: bool,
}

impl Progress {
    /// `recovering`: an inbox from an earlier run may still hold acknowledged messages.
    pub fn new(recovering: bool, lag: Gauge) -> Self {
        Self {
            acknowledged: AtomicU64::new(0),
            applied: watch::Sender::new(Applied { seq: 0, recovered: !recovering }),
            lag: Mutex::new(lag),
        }
    }

    pub fn acknowledged(&self, seq: u64) {
        let gauge = self.lag.lock().unwrap_or_else(|p| p.into_inner());
        self.acknowledged.fetch_max(seq, Ordering::SeqCst);
        gauge.set(self.lag() as i64);
    }

    pub fn applied(&self, seq: u64) {
        let gauge = self.lag.lock().unwrap_or_else(|p| p.into_inner());
        // Before the watchers wake: whoever sees the new position sees the gauge match it.
        let applied = seq.max(self.applied_seq());
        gauge.set(self.acknowledged.load(Ordering::SeqCst).saturating_sub(applied) as i64);
        self.applied.send_if_modified(|applied| {
            let moved = seq > applied.seq;
            applied.seq = applied.seq.max(seq);
            moved
        });
    }

    pub fn recovered(&self) {
        self.applied.send_modify(|applied| applied.recovered = true);
    }

    pub fn applied_seq(&self) -> u64 {
        self.applied.borrow().seq
    }

    /// How many sequence numbers are acknowledged and not yet applied.
    pub fn lag(&self) -> u64 {
        self.acknowledged.load(Ordering::SeqCst).saturating_sub(self.applied_seq())
    }

    pub async fn settled(&self, timeout: Duration) -> bool {
        let target = self.acknowledged.load(Ordering::SeqCst);
        let mut applied = self.applied.subscribe();
        let done = applied.wait_for(|a| a.recovered && a.seq >= target);
        tokio::time::timeout(timeout, done).await.is_ok_and(|r| r.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settles_once_everything_acknowledged_before_is_applied() {
        let p = std::sync::Arc::new(Progress::new(false, Gauge::default()));
        assert!(p.settled(Duration::ZERO).await, "nothing acknowledged: settled at once");
        p.acknowledged(10);
        assert!(!p.settled(Duration::from_millis(10)).await);
        let waiter = tokio::spawn({
            let p = p.clone();
            async move { p.settled(Duration::from_secs(5)).await }
        });
        tokio::task::yield_now().await; // the waiter takes its target now
        p.applied(4);
        p.acknowledged(20); // after the wait began: not waited for
        p.applied(10);
        assert!(waiter.await.unwrap());
        assert_eq!(p.lag(), 10);
        p.applied(3);
        assert_eq!(p.applied_seq(), 10, "applied never goes back");
    }

    #[tokio::test]
    async fn nothing_is_settled_before_the_recovery() {
        let p = Progress::new(true, Gauge::default());
        assert!(!p.settled(Duration::from_millis(10)).await);
        p.recovered();
        assert!(p.settled(Duration::ZERO).await);
    }
}
