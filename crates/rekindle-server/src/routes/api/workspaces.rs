use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::WorkspaceView;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_workspaces))
}

/// The stores this deployment hosts.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces", security(("admin_token" = [])),
    responses((status = 200, body = Vec<WorkspaceView>), (status = 401, body = ApiError)))]
async fn list_workspaces(_: AdminAuth, State(state): State<AppState>) -> Result<Json<Vec<WorkspaceView>>, ApiError> {
    Ok(Json(state.store.workspaces().await?.into_iter().map(Into::into).collect()))
}
