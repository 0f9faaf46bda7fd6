use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A histogram of an event's latency, 0.5 ms to ~5.6 s in steps of 1.5× (fine enough to tell
/// 15 ms from 25 ms). Ingestion's apply delay and the journey runner's timings share it, so
/// their quantiles fall on the same bounds and can be set side by side.
pub fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 1.5, 24))
}

/// What ingestion counts, registered on the server's `/metrics`.
#[derive(Clone)]
pub struct IngestMetrics {
    pub events_stored: Counter,
    pub events_duplicate: Counter,
    pub people_created: Counter,
    pub merges: Counter,
    pub conflicts: Counter,
    pub commits: Counter,
    pub commit_failures: Counter,
    /// Seconds per append to the store.
    pub commit_seconds: Histogram,
    /// Seconds per write to the inbox (journal mode): what a request waits for.
    pub inbox_seconds: Histogram,
    /// Messages acknowledged and not yet applied to the store (journal mode).
    pub apply_lag: Gauge,
    /// From a group's acknowledgement to its append committed (journal mode): how long an
    /// acknowledged event waits before the store's readers (the journey runner) can see it.
    pub apply_delay_seconds: Histogram,
    /// Messages per group commit.
    pub commit_messages: Histogram,
}

impl Default for IngestMetrics {
    fn default() -> Self {
        Self {
            events_stored: Counter::default(),
            events_duplicate: Counter::default(),
            people_created: Counter::default(),
            merges: Counter::default(),
            conflicts: Counter::default(),
            commits: Counter::default(),
            commit_failures: Counter::default(),
            commit_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
            inbox_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
            apply_lag: Gauge::default(),
            apply_delay_seconds: latency_histogram(),
            commit_messages: Histogram::new(exponential_buckets(1.0, 2.0, 14)),
        }
    }
}

impl IngestMetrics {
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("rekindle_ingest");
        r.register("events_stored", "Events written to the store", self.events_stored.clone());
        r.register("events_duplicate", "Messages skipped as already stored", self.events_duplicate.clone());
        r.register("people_created", "People created by identity resolution", self.people_created.clone());
        r.register("merges", "People merged by identity resolution", self.merges.clone());
        r.register("conflicts", "Merges or links refused by identity limits", self.conflicts.clone());
        r.register("commits", "Appends to the store", self.commits.clone());
        r.register("commit_failures", "Appends to the store that failed", self.commit_failures.clone());
        r.register("commit_seconds", "Time per append to the store", self.commit_seconds.clone());
        r.register("commit_messages", "Messages per append to the store", self.commit_messages.clone());
        r.register("inbox_seconds", "Time per write to the ingestion inbox", self.inbox_seconds.clone());
        r.register("apply_lag_messages", "Messages acknowledged and not yet applied", self.apply_lag.clone());
        r.register(
            "apply_delay_seconds",
            "From a group's acknowledgement to its append committed (journal mode)",
            self.apply_delay_seconds.clone(),
        );
    }

    pub fn record(&self, report: &rekindle_store::AppendReport) {
        self.events_stored.inc_by(report.stored);
        self.events_duplicate.inc_by(report.duplicates);
        self.people_created.inc_by(report.people_created);
        self.merges.inc_by(report.merges);
        self.conflicts.inc_by(report.conflicts);
    }
}
