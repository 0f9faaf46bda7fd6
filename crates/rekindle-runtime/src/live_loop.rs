//! The live rooms' follower: woken by every append, it folds new events into the rooms being
//! watched, so a monitor shows an event within moments of its acknowledgement.

use std::time::Duration;

use crate::Services;

/// The longest the follower sleeps without an append: the rooms' "now" moves on (presence
/// times out) even when nothing arrives, and the monitors read it on their own tick.
const IDLE: Duration = Duration::from_secs(1);

pub fn spawn(state: Services) {
    let mut appended = state.ingestor.appended();
    // Catches up in its own time: its writes wait for the event path's (rekindle_store::urgency).
    tokio::spawn(rekindle_store::urgency::patient(async move {
        loop {
            tokio::select! {
                r = appended.changed() => if r.is_err() { tokio::time::sleep(IDLE).await },
                _ = tokio::time::sleep(IDLE) => {}
            }
            for ws in state.live.followed() {
                if let Err(e) = state.live.follow(ws).await {
                    tracing::warn!(workspace = %ws, error = %e, "following live rooms failed; retried on the next append");
                }
            }
        }
    }));
}
