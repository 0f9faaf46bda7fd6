//! The WeCom relationship loop (docs/relationships.md): for every store with WeCom configured,
//! customer transfers are sent and asked about every `poll`, and WeCom's friendships are
//! reconciled with the log every `reconcile`. What WeCom says goes through the ingestor.

use std::collections::HashMap;
use std::time::Instant;

use rekindle_core::WorkspaceId;
use rekindle_journeys::wecom::{reconcile, tags, transfers};

use crate::{Clock, Services, WecomWork};

pub fn spawn(state: Services, work: WecomWork, clock: Clock) {
    // Catches up in its own time: its writes wait for the event path's (rekindle_store::urgency).
    tokio::spawn(rekindle_store::urgency::patient(async move {
        let mut reconciled: HashMap<WorkspaceId, Instant> = HashMap::new();
        loop {
            tokio::time::sleep(work.poll).await;
            let workspaces = match state.store.workspaces().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "WeCom work cannot list workspaces; retried later");
                    continue;
                }
            };
            for w in workspaces {
                if !crate::leadership_loop::leads(&state, w.id).await {
                    continue;
                }
                let Ok(channels) = state.channels.channels(w.id).await else { continue };
                let Some(wecom) = channels.wecom() else { continue };
                match state.transfers.look(w.id, transfers::open).await {
                    Ok(open) if open.is_empty() => {}
                    Ok(open) => {
                        match transfers::advance(&*state.store, &wecom, &state.ingestor, w.id, open, clock()).await {
                            Ok(round) => tracing::info!(workspace = %w.slug, ?round, "customer transfers advanced"),
                            Err(e) => {
                                tracing::warn!(workspace = %w.slug, error = %e, "customer transfers not advanced; retried later")
                            }
                        }
                    }
                    Err(e) => tracing::warn!(workspace = %w.slug, error = %e, "customer transfers not read"),
                }
                let Some(every) = work.reconcile else { continue };
                if reconciled.get(&w.id).is_some_and(|at| at.elapsed() < every) {
                    continue;
                }
                reconciled.insert(w.id, Instant::now());
                match reconcile::reconcile(&*state.store, &state.engine, &wecom, &state.ingestor, w.id, clock()).await {
                    Ok(r) => tracing::info!(workspace = %w.slug, ?r, "WeCom friendships reconciled"),
                    Err(e) => {
                        tracing::warn!(workspace = %w.slug, error = %e, "WeCom friendships not reconciled; retried later")
                    }
                }
                match state.store.tag_sync(w.id).await {
                    Ok(s) if s.enabled => {
                        match tags::sync(&*state.store, &state.engine, &wecom, w.id, &s, tags::MARK_BUDGET).await {
                            Ok(done) => tracing::info!(workspace = %w.slug, ?done, "tags synced with WeCom"),
                            Err(e) => {
                                tracing::warn!(workspace = %w.slug, error = %e, "tags not synced with WeCom; retried later")
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(workspace = %w.slug, error = %e, "the tag sync settings not read"),
                }
            }
        }
    }));
}
