//! The two loops that make journeys run in `serve`: the runner, woken by every append (and a
//! tick, for waits that end and dated triggers), and the dispatcher, woken whenever the runner
//! queued something (and a tick, for retries and held messages).

use std::sync::Arc;
use std::time::Duration;

use rekindle_journeys::dispatch::Dispatcher;
use tracing::Instrument;

use crate::Services;

/// How often the mass sends awaiting confirmation are looked at.
const AWAITING_EVERY: Duration = Duration::from_secs(60);

pub fn spawn(state: Services, dispatcher: Arc<Dispatcher>, tick: Duration) {
    let mut appended = state.ingestor.appended();
    let queued = state.runner.queued.clone();
    // New events, as soon as they are stored.
    let events = state.clone();
    tokio::spawn(async move {
        let mut idle = tick;
        loop {
            tokio::select! {
                // Every reader of the log has its own receiver: each wakes on every append.
                r = appended.changed() => if r.is_err() { tokio::time::sleep(idle).await },
                _ = tokio::time::sleep(idle) => {}
            }
            // Redone from the runner's cursor after a power cut (rekindle_store::durability);
            // between an event and its message, so its writes go first (rekindle_store::urgency).
            let pass = each_workspace(&events, "events", tick, |ws| events.runner.events(ws));
            idle = rekindle_store::durability::derived(rekindle_store::urgency::prompt(pass)).await;
        }
    });
    // Waits that ended, segment and stage changes, dated triggers: beside the events, so a
    // scan over everyone never holds an event back.
    // These and the dispatcher's writes wait for the event path's (rekindle_store::urgency).
    // The pass itself runs on a low-priority thread, its store reads in line: after a refresh
    // it enters and walks a thousand people or so for a second or two of a core, and at the
    // event path's priority that made the runner fall behind the orders (issue 24).
    let background = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(tick).await;
            let state = background.clone();
            let pass = rekindle_engine::background::run_async(move || {
                rekindle_store::urgency::patient(async move {
                    each_workspace(&state, "background", tick, |ws| state.runner.background(ws)).await
                })
            });
            if pass.await.is_err() {
                tracing::warn!("the journeys' background pass panicked; it runs again on the next tick");
            }
        }
    });
    tokio::spawn(rekindle_store::urgency::patient(async move {
        let mut asked: Option<std::time::Instant> = None;
        loop {
            tokio::select! {
                _ = queued.notified() => {}
                _ = tokio::time::sleep(tick) => {}
            }
            // WeCom mass sends awaiting the staff member's confirmation: looked at once a
            // minute, each asked about at most every ten.
            if asked.is_none_or(|at| at.elapsed() >= AWAITING_EVERY) {
                asked = Some(std::time::Instant::now());
                match dispatcher.check_awaiting().instrument(tracing::info_span!("mass_sends")).await {
                    Ok(c) if c.asked > 0 => tracing::debug!(
                        asked = c.asked,
                        delivered = c.delivered,
                        failed = c.failed,
                        waiting = c.waiting,
                        "mass sends checked"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "checking mass sends failed; retried later"),
                }
            }
            match dispatcher.group_round().instrument(tracing::info_span!("group_posts")).await {
                Ok(r) if r.sent + r.failed > 0 => {
                    tracing::debug!(sent = r.sent, failed = r.failed, waiting = r.waiting, "group posts sent")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sending group posts failed; retried on the next pass"),
            }
            loop {
                match dispatcher.round().instrument(tracing::info_span!("dispatch")).await {
                    Ok(r) if r.claimed == 0 => break,
                    Ok(r) => tracing::debug!(
                        claimed = r.claimed,
                        sent = r.sent,
                        retried = r.retried,
                        failed = r.failed,
                        uncertain = r.uncertain,
                        skipped = r.skipped,
                        "messages dispatched"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "dispatch failed; retried on the next pass");
                        break;
                    }
                }
            }
        }
    }));
}

/// Run a pass over each workspace this node leads; how long until the next pass, given the
/// usual wait (`WorkspaceList`).
async fn each_workspace<F, Fut>(state: &Services, what: &str, usual: Duration, run: F) -> Duration
where
    F: Fn(rekindle_core::WorkspaceId) -> Fut,
    Fut: std::future::Future<Output = rekindle_store::Result<rekindle_journeys::Pass>>,
{
    let listed = match state.workspaces.get(&*state.store).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "journeys cannot list workspaces");
            return usual;
        }
    };
    for w in listed.workspaces.iter() {
        if !crate::leadership_loop::leads(state, w.id).await {
            continue;
        }
        let started = std::time::Instant::now();
        let span = tracing::info_span!("journeys", what, workspace = %w.slug);
        match run(w.id).instrument(span).await {
            Ok(p) if p.entered + p.walked + p.closed > 0 => tracing::debug!(
                workspace = %w.slug, what, events = p.events, entered = p.entered, walked = p.walked,
                queued = p.queued, skipped = p.skipped, closed = p.closed,
                took_ms = started.elapsed().as_millis() as u64, "journeys ran"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(workspace = %w.slug, what, error = %e, "journeys failed; retried on the next pass")
            }
        }
    }
    listed.next_pass(usual)
}
