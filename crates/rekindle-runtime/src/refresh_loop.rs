//! The segment refresh loop.

use std::time::Duration;

use tracing::Instrument;

use crate::Services;

/// Keep every workspace's profiles and segment membership current, so entering and leaving
/// is recorded within `every` of the event that caused it, whether or not anyone is looking.
pub fn spawn(state: Services, every: Duration) {
    // Catches up in its own time: its writes wait for the event path's (rekindle_store::urgency).
    tokio::spawn(rekindle_store::urgency::patient(async move {
        let mut took: Option<Duration> = None;
        loop {
            // The pause is at least as long as the last refresh took: on a store so large
            // that judging everyone takes longer than `every`, refreshing keeps at most half a
            // core busy instead of one, and events and requests keep the rest.
            if let Some(took) = took {
                tokio::time::sleep(every.max(took)).await;
            }
            let started = std::time::Instant::now();
            // Fold what is applied: ingestion acknowledged it, so wait until it is readable.
            state.ingestor.settled(every).await;
            let workspaces = match state.store.workspaces().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "segment refresh cannot list workspaces");
                    took = Some(started.elapsed());
                    continue;
                }
            };
            for w in workspaces {
                let refreshed = state.engine.clone().refresh_in_background(w.id);
                match refreshed.instrument(tracing::info_span!("refresh", workspace = %w.slug)).await {
                    Ok(r) => tracing::debug!(
                        workspace = %w.slug, folded = r.folded, entered = r.recorded.entered, left = r.recorded.left,
                        stage_changes = r.recorded.stage_changes, took_ms = started.elapsed().as_millis() as u64,
                        "segments refreshed"
                    ),
                    Err(e) => tracing::warn!(workspace = %w.slug, error = %e, "segment refresh failed"),
                }
            }
            took = Some(started.elapsed());
        }
    }));
}
