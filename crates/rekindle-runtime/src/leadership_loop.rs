//! Leadership (docs/deploy.md, "Several nodes"): every second each workspace's lead is asked
//! about, taken when no node has it and kept while this node does. The loops whose work must
//! happen once per workspace run where [`leads`] says so; ingestion, reads, the live rooms and
//! the dispatcher (whose claim skips what another node holds) run on every node.

use std::collections::HashMap;
use std::time::Duration;

use rekindle_core::WorkspaceId;
use rekindle_store::Term;

use crate::Services;

/// How often leadership is asked about: a node killed is replaced within about this long.
const EVERY: Duration = Duration::from_secs(1);

pub fn spawn(state: Services) {
    tokio::spawn(async move {
        let mut terms: HashMap<WorkspaceId, Option<Term>> = HashMap::new();
        loop {
            let workspaces = match state.store.workspaces().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "leadership cannot list workspaces; asked again later");
                    Vec::new()
                }
            };
            for w in workspaces {
                let term = match state.engine.lead(w.id).await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!(workspace = %w.slug, error = %e, "cannot ask whether this node leads; not leading meanwhile");
                        None
                    }
                };
                let was = terms.insert(w.id, term).flatten();
                if term == was {
                    continue;
                }
                match term {
                    Some(term) => {
                        // Another node may have led meanwhile: read its positions from the store.
                        state.runner.forget_position(w.id);
                        tracing::info!(workspace = %w.slug, term, "this node leads the workspace");
                    }
                    None => tracing::warn!(workspace = %w.slug, "this node no longer leads the workspace"),
                }
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// Whether this node leads `ws` now, as last asked; a node that cannot tell does not lead.
pub async fn leads(state: &Services, ws: WorkspaceId) -> bool {
    matches!(state.engine.leads(ws).await, Ok(Some(_)))
}
