//! Automatic winners (docs/journeys.md, "Automatic winners"): every ten minutes, each live
//! journey whose split picks its winner is read; a decision is recorded on the journey and the
//! runner's catalog reloaded, so the next walk through the split takes the winner.

use std::time::Duration;

use tracing::Instrument;

use crate::Services;

/// Outcomes are counted in days: looking more often would find nothing new.
const EVERY: Duration = Duration::from_secs(600);

pub fn spawn(state: Services) {
    // Catches up in its own time: its writes wait for the event path's (rekindle_store::urgency).
    tokio::spawn(rekindle_store::urgency::patient(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            let workspaces = match state.store.workspaces().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "automatic winners cannot list workspaces");
                    continue;
                }
            };
            for w in workspaces {
                if !crate::leadership_loop::leads(&state, w.id).await {
                    continue;
                }
                let span = tracing::info_span!("winners", workspace = %w.slug);
                match rekindle_journeys::decide_winners(&*state.store, &state.engine, w.id).instrument(span).await {
                    Ok(decided) if !decided.is_empty() => state.runner.invalidate(w.id),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(workspace = %w.slug, error = %e, "automatic winners failed; retried later")
                    }
                }
            }
        }
    }));
}
