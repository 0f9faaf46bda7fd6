use axum::Json;
use axum::extract::{Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ConflictView, Limit, WorkspaceParam, Ws};
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(conflicts))
}

/// Merges and links the identity limits refused, newest first, for review.
#[utoipa::path(get, path = "/api/v1/identity/conflicts", tag = "identity", security(("admin_token" = [])),
    params(Limit, WorkspaceParam),
    responses((status = 200, body = Vec<ConflictView>), (status = 401, body = ApiError)))]
async fn conflicts(
    _: AdminAuth,
    ws: Ws,
    State(state): State<AppState>,
    Query(limit): Query<Limit>,
) -> Result<Json<Vec<ConflictView>>, ApiError> {
    let rows = state.store.conflicts(ws.0, limit.get()).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
