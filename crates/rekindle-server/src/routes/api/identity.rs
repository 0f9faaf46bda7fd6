use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ConflictView, WorkspaceParam, Ws};
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(conflicts))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConflictParams {
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

/// Merges and links the identity limits refused, newest first, for review.
#[utoipa::path(get, path = "/api/v1/identity/conflicts", tag = "identity", security(("admin_token" = [])),
    params(ConflictParams, WorkspaceParam),
    responses((status = 200, body = Vec<ConflictView>), (status = 401, body = ApiError)))]
async fn conflicts(
    _: AdminAuth,
    ws: Ws,
    State(state): State<AppState>,
    Query(p): Query<ConflictParams>,
) -> Result<Json<Vec<ConflictView>>, ApiError> {
    let rows = state.store.conflicts(ws.0, p.limit.unwrap_or(100).min(1000)).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
