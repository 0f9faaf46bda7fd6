//! The REST API under `/api/v1`. Every route takes the admin token; every route reads one
//! workspace, named by `?workspace=<slug>` (default `default`), and sees every event
//! acknowledged before the request.

mod catalogue;
mod dto;
mod events;
mod identity;
mod keys;
mod people;
mod workspaces;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use rekindle_core::WorkspaceId;
use rekindle_store::DEFAULT_WORKSPACE;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::state::AppState;

pub use dto::*;

/// Longest a read waits for acknowledged events to be applied.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(people::router())
        .merge(catalogue::router())
        .merge(events::router())
        .merge(identity::router())
        .merge(keys::router())
        .merge(workspaces::router())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkspaceParam {
    /// Workspace (store) slug; `default` when omitted.
    pub workspace: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

impl Limit {
    pub fn get(&self) -> u32 {
        self.limit.unwrap_or(100).clamp(1, 1000)
    }
}

/// The workspace a request is about, resolved from `?workspace=`.
pub struct Ws(pub WorkspaceId);

impl FromRequestParts<AppState> for Ws {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Query(param) = Query::<WorkspaceParam>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::field(crate::error::ErrorCode::InvalidField, "workspace", e.body_text()))?;
        let slug = param.workspace.unwrap_or_else(|| DEFAULT_WORKSPACE.to_string());
        let ws = state
            .store
            .workspace_by_slug(&slug)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("workspace {slug}")))?;
        // Ingestion acknowledges before it applies (see rekindle-ingest): a read waits until
        // it would see every event acknowledged before it. Past the wait it answers anyway,
        // from what is applied, rather than fail.
        if !state.ingestor.settled(SETTLE_WAIT).await {
            tracing::warn!(wait = ?SETTLE_WAIT, "answering before ingestion caught up");
        }
        Ok(Ws(ws.id))
    }
}
