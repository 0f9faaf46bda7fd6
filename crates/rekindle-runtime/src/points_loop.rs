//! The points follower's loop: woken by every append (and every 10 s, for watching that crossed
//! the bar between appends and for the level review's judgement of everyone, `LevelReview`), it
//! awards what each workspace's new events earned, then records the level changes and referral
//! rewards that follow (through the ingestor, the one road into the log).

use std::time::Duration;

use rekindle_store::Source;

use crate::Services;

const IDLE: Duration = Duration::from_secs(10);

pub fn spawn(state: Services) {
    let mut appended = state.ingestor.appended();
    // Catches up in its own time: its writes wait for the event path's (rekindle_store::urgency).
    tokio::spawn(rekindle_store::urgency::patient(async move {
        let mut idle = IDLE;
        loop {
            tokio::select! {
                r = appended.changed() => if r.is_err() { tokio::time::sleep(idle).await },
                _ = tokio::time::sleep(idle) => {}
            }
            let listed = match state.workspaces.get(&*state.store).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "points cannot list workspaces; retried on the next append");
                    continue;
                }
            };
            idle = listed.next_pass(IDLE);
            for w in listed.workspaces.iter() {
                if !crate::leadership_loop::leads(&state, w.id).await {
                    continue;
                }
                // Redone from the points cursor after a power cut (rekindle_store::durability).
                match rekindle_store::durability::derived(state.points.follow(w.id)).await {
                    Ok(f) if f.awarded > 0 => {
                        tracing::debug!(workspace = %w.slug, events = f.events, awarded = f.awarded, "points awarded")
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(workspace = %w.slug, error = %e, "awarding points failed; retried on the next append")
                    }
                }
                let mut written = match state.levels.changes(w.id).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(workspace = %w.slug, error = %e, "judging levels failed; retried on the next append");
                        Vec::new()
                    }
                };
                match state.referrals.due(w.id).await {
                    Ok(r) => written.extend(r),
                    Err(e) => {
                        tracing::warn!(workspace = %w.slug, error = %e, "judging referrals failed; retried on the next append")
                    }
                }
                if written.is_empty() {
                    continue;
                }
                let n = written.len();
                match state.ingestor.submit(w.id, Source("rekindle".into()), written).await {
                    Ok(()) => tracing::debug!(workspace = %w.slug, events = n, "level changes and referrals recorded"),
                    Err(e) => {
                        state.referrals.forget(w.id);
                        tracing::warn!(workspace = %w.slug, error = %e, "level changes and referrals not recorded; judged again later")
                    }
                }
            }
        }
    }));
}
