use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ConflictView, Limit, Params, WorkspaceParam, for_role};
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;
use rekindle_core::access::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(conflicts))
}

/// Merges and links the identity limits refused, newest first, for review.
#[utoipa::path(get, path = "/api/v1/identity/conflicts", tag = "identity", security(("bearer" = []), ("session" = [])),
    params(Limit, WorkspaceParam),
    responses((status = 200, body = Vec<ConflictView>), (status = 401, body = ApiError)))]
async fn conflicts(
    access: Access,
    State(state): State<AppState>,
    Params(limit): Params<Limit>,
) -> Result<Json<Vec<ConflictView>>, ApiError> {
    access.require(Permission::EventsRead)?;
    let rows = state.store.conflicts(access.ws(), limit.get()).await?;
    let rows: Vec<ConflictView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(for_role(rows, &access)))
}
