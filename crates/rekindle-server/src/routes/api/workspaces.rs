use axum::Json;
use axum::extract::{FromRequest, Request, State};
use rekindle_core::access::Permission;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use super::WorkspaceView;
use crate::auth::{Access, Caller, Principal};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_workspaces)).routes(routes!(update_workspace))
}

/// The stores the caller works for (with the admin token: every store of the deployment).
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<WorkspaceView>), (status = 401, body = ApiError)))]
async fn list_workspaces(caller: Caller, State(state): State<AppState>) -> Result<Json<Vec<WorkspaceView>>, ApiError> {
    let workspaces = match &caller.principal {
        Principal::Admin => state.store.workspaces().await?,
        Principal::User(u) => state.store.memberships(u.id).await?.into_iter().map(|m| m.workspace).collect(),
    };
    Ok(Json(workspaces.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceChange {
    name: Option<String>,
    /// An IANA zone such as `Asia/Shanghai`: calendars, quiet hours and reports use it.
    time_zone: Option<String>,
}

/// Rename a store or change its time zone.
#[utoipa::path(put, path = "/api/v1/workspaces/{slug}", tag = "workspaces", security(("bearer" = []), ("session" = [])),
    params(("slug" = String, Path, description = "Workspace slug")), request_body = WorkspaceChange,
    responses((status = 200, body = WorkspaceView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn update_workspace(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    request: Request,
) -> Result<Json<WorkspaceView>, ApiError> {
    let access = Access::resolve(caller, &slug, &state).await?;
    access.require(Permission::WorkspaceManage)?;
    // The workspace is the path's, not `?workspace=`: the role is known only here, so the
    // body is read only now.
    let Body(body) = Body::<WorkspaceChange>::from_request(request, &state).await?;
    let name = body.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 100) {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "must be 1 to 100 characters"));
    }
    if let Some(tz) = &body.time_zone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "time_zone",
            "not an IANA time zone such as Asia/Shanghai",
        ));
    }
    let updated = state.store.update_workspace(access.ws(), name, body.time_zone.as_deref()).await?;
    access.audit(&state, "workspace.update", format!("{} ({})", updated.name, updated.time_zone)).await;
    Ok(Json(updated.into()))
}
