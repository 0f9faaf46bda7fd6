//! The points follower's loop: woken by every append (and every 10 s, for watching that crossed
//! the bar between appends and for the level review's judgement of everyone, `LevelReview`), it
//! awards what each workspace's new events earned, then records the level changes and referral
//! rewards that follow (through the ingestor, the one road into the log).

use std::time::Duration;

use rekindle_store::Source;

use crate::Services;

const IDLE: Duration = Duration::from_secs(10);
/// How long the list of workspaces is kept between passes. The loop runs on every append, a
/// hundred times a second under a busy store, and listing the workspaces each time was 1.5 %
/// of the process's CPU (issue 24). A pass on a kept list is followed by another within this
/// time, so a workspace made meanwhile is followed a second or two later, appends or not.
const WORKSPACES_KEPT: Duration = Duration::from_secs(1);

pub fn spawn(state: Services) {
    let mut appended = state.ingestor.appended();
    // Catches up in its own time: its writes wait for the event path's (rekindle_store::urgency).
    tokio::spawn(rekindle_store::urgency::patient(async move {
        let mut listed: Option<(tokio::time::Instant, Vec<rekindle_store::Workspace>)> = None;
        let mut idle = IDLE;
        loop {
            tokio::select! {
                r = appended.changed() => if r.is_err() { tokio::time::sleep(idle).await },
                _ = tokio::time::sleep(idle) => {}
            }
            let kept = listed.as_ref().is_some_and(|(at, _)| at.elapsed() < WORKSPACES_KEPT);
            idle = if kept { WORKSPACES_KEPT } else { IDLE };
            if !kept {
                match state.store.workspaces().await {
                    Ok(w) => listed = Some((tokio::time::Instant::now(), w)),
                    Err(e) => {
                        tracing::warn!(error = %e, "points cannot list workspaces; retried on the next append");
                        continue;
                    }
                }
            }
            let workspaces = listed.as_ref().map(|(_, w)| w.clone()).unwrap_or_default();
            for w in workspaces {
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
