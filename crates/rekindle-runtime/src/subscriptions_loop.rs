//! The subscriptions loop (docs/subscriptions.md): woken by every append and every tick (a
//! confirmation falls due with the clock, not with an event), it writes the `Shipment
//! Confirmation Requested` events due by the engine's clock back through the ingestor, the one
//! road into the log; the journey "定期购确认" sends the message from there.

use std::time::Duration;

use rekindle_store::Source;

use crate::Services;

pub fn spawn(state: Services, tick: Duration) {
    let mut appended = state.ingestor.appended();
    // Catches up in its own time: its writes wait for the event path's (rekindle_store::urgency).
    tokio::spawn(rekindle_store::urgency::patient(async move {
        let mut idle = tick;
        loop {
            tokio::select! {
                r = appended.changed() => if r.is_err() { tokio::time::sleep(idle).await },
                _ = tokio::time::sleep(idle) => {}
            }
            let listed = match state.workspaces.get(&*state.store).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "subscriptions cannot list workspaces; retried on the next tick");
                    continue;
                }
            };
            idle = listed.next_pass(tick);
            for w in listed.workspaces.iter() {
                if !crate::leadership_loop::leads(&state, w.id).await {
                    continue;
                }
                let due = match state.subscriptions.due(w.id).await {
                    Ok(d) if d.is_empty() => continue,
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!(workspace = %w.slug, error = %e, "subscription confirmations not judged; retried on the next tick");
                        continue;
                    }
                };
                let n = due.len();
                match state.ingestor.submit(w.id, Source("rekindle".into()), due).await {
                    Ok(()) => tracing::debug!(workspace = %w.slug, events = n, "subscription confirmations requested"),
                    Err(e) => {
                        state.subscriptions.forget(w.id);
                        tracing::warn!(workspace = %w.slug, error = %e, "subscription confirmations not recorded; asked again later")
                    }
                }
            }
        }
    }));
}
