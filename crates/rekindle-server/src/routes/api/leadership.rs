//! Which node leads the store's once-only work (docs/deploy.md, "Several nodes"), for the
//! settings page: an operator running several nodes sees which one records segment changes and
//! runs journeys, and that another took over after one died.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::access::Permission;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::WorkspaceParam;
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(leadership))
}

/// The node that answered, and the store's leader.
#[derive(Serialize, ToSchema)]
pub struct LeadershipView {
    /// `sqlite` (one node) or `postgres` (one or more).
    pub backend: String,
    /// The node that answered: its host and process id.
    pub node: String,
    /// Whether that node leads the store now.
    pub leads: bool,
    pub leader: Option<LeaderView>,
}

/// A store's leader as last recorded: a node that died is shown until another takes over,
/// within seconds.
#[derive(Serialize, ToSchema)]
pub struct LeaderView {
    pub node: String,
    /// Raised each time a node takes the store over.
    pub term: i64,
    /// When its term began (none on SQLite, where one node is all there is).
    pub since: Option<DateTime<Utc>>,
}

/// Which node leads the store's segment records, predictions, journeys and points.
#[utoipa::path(get, path = "/api/v1/leadership", tag = "workspaces", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = LeadershipView), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn leadership(access: Access, State(state): State<AppState>) -> Result<Json<LeadershipView>, ApiError> {
    access.require(Permission::WorkspaceManage)?;
    let ws = access.ws();
    let leads = state.engine.leads(ws).await?.is_some();
    let leader = state.store.leader(ws).await?;
    Ok(Json(LeadershipView {
        backend: state.store.backend().into(),
        node: state.store.node(),
        leads,
        leader: leader.map(|l| LeaderView { node: l.node, term: l.term, since: l.since }),
    }))
}
