//! How long writes wait for each file's one writer and hold it, by file and urgency
//! (files.rs, `rekindle_store::urgency`), on `/metrics`: where an event's way to the outbox
//! queues under ingestion, counted in the server itself rather than guessed from end-to-end
//! timings that swing with the machine (issue 24).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rekindle_store::urgency::Urgency;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    /// `rekindle.db` or `runs.db`.
    file: &'static str,
    urgency: &'static str,
}

#[derive(Clone)]
pub(crate) struct WriterMetrics {
    waited: Family<Labels, Histogram>,
    held: Family<Labels, Histogram>,
}

impl Default for WriterMetrics {
    fn default() -> Self {
        // 0.1 ms to about 3 s.
        let histogram = || Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        Self { waited: Family::new_with_constructor(histogram), held: Family::new_with_constructor(histogram) }
    }
}

impl WriterMetrics {
    pub(crate) fn observe(
        &self,
        file: &'static str,
        urgency: Urgency,
        waited: std::time::Duration,
        held: std::time::Duration,
    ) {
        let labels = Labels { file, urgency: label(urgency) };
        self.waited.get_or_create(&labels).observe(waited.as_secs_f64());
        self.held.get_or_create(&labels).observe(held.as_secs_f64());
    }

    pub(crate) fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("rekindle_sqlite_writer");
        r.register("wait_seconds", "How long a write waited for a file's one writer, by urgency", self.waited.clone());
        r.register("held_seconds", "How long a write held a file's one writer, commit included", self.held.clone());
    }
}

fn label(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Prompt => "prompt",
        Urgency::Normal => "normal",
        Urgency::Patient => "patient",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_and_urgency_is_a_series_of_its_own() {
        let metrics = WriterMetrics::default();
        let (micros, millis) = (std::time::Duration::from_micros, std::time::Duration::from_millis);
        metrics.observe("runs.db", Urgency::Prompt, micros(50), millis(2));
        metrics.observe("rekindle.db", Urgency::Patient, millis(30), std::time::Duration::ZERO);
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        // The shape `rekindle bench journeys` reads: the bucket's bound first, then the file
        // and the urgency.
        for line in [
            "rekindle_sqlite_writer_wait_seconds_bucket{le=\"0.0001\",file=\"runs.db\",urgency=\"prompt\"} 1",
            "rekindle_sqlite_writer_wait_seconds_bucket{le=\"0.0256\",file=\"rekindle.db\",urgency=\"patient\"} 0",
            "rekindle_sqlite_writer_wait_seconds_bucket{le=\"0.0512\",file=\"rekindle.db\",urgency=\"patient\"} 1",
            "rekindle_sqlite_writer_held_seconds_count{file=\"runs.db\",urgency=\"prompt\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}: {text}");
        }
        assert!(!text.contains("urgency=\"normal\""), "no normal write yet: {text}");
    }
}
