//! How long an event takes to become the messages it triggers, registered on `/metrics`: the
//! latency the runner exists for (docs/journeys.md, "Latency"), split where it can stall.

use chrono::{DateTime, Utc};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use rekindle_ingest::latency_histogram;

/// Counted for events that enter someone into a journey, from when the server received them.
#[derive(Clone)]
pub struct JourneyMetrics {
    /// Until the runner read the event: acknowledgement, the append, the runner's turn.
    pub read_seconds: Histogram,
    /// Until the journeys it triggered were entered and walked: their messages are queued.
    pub entered_seconds: Histogram,
}

impl Default for JourneyMetrics {
    fn default() -> Self {
        Self { read_seconds: latency_histogram(), entered_seconds: latency_histogram() }
    }
}

impl JourneyMetrics {
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("rekindle_journey");
        r.register(
            "event_read_seconds",
            "From a triggering event's arrival to the runner reading it",
            self.read_seconds.clone(),
        );
        r.register(
            "event_entered_seconds",
            "From a triggering event's arrival to its journeys entered and walked (messages queued)",
            self.entered_seconds.clone(),
        );
    }

    pub(crate) fn read(&self, received: DateTime<Utc>, now: DateTime<Utc>) {
        self.read_seconds.observe(seconds(received, now));
    }

    pub(crate) fn entered(&self, received: &[DateTime<Utc>], now: DateTime<Utc>) {
        for &r in received {
            self.entered_seconds.observe(seconds(r, now));
        }
    }
}

/// An interval in seconds; never negative (a clock that stepped back counts as zero).
fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX).max(0) as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_seconds_and_never_negative() {
        let t = DateTime::<Utc>::from_timestamp_millis(1_700_000_000_000).unwrap();
        assert_eq!(seconds(t, t + chrono::Duration::milliseconds(15)), 0.015);
        assert_eq!(seconds(t, t - chrono::Duration::seconds(1)), 0.0);
    }
}
