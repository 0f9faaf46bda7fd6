//! The audit log of operator actions (owners only).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use rekindle_core::access::Permission;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Limit, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The operator's email; absent for the admin token.
    #[schema(required = true)]
    pub user: Option<String>,
    /// `auth.login`, `auth.login_failed`, `user.invite`, `user.join`, `user.role`, `write_key.create`, …
    pub action: String,
    #[schema(required = true)]
    pub target: Option<String>,
    #[schema(required = true)]
    pub ip: Option<String>,
}

/// Who did what, when and from where, newest first: only what was recorded in this workspace.
/// Its operators' sign-ins and API tokens are recorded in each workspace they work for at the
/// time, so no workspace reads what a shared operator did elsewhere.
#[utoipa::path(get, path = "/api/v1/audit", tag = "users", security(("bearer" = []), ("session" = [])),
    params(Limit, WorkspaceParam),
    responses((status = 200, body = Vec<AuditView>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn audit_log(
    access: Access,
    State(state): State<AppState>,
    Params(limit): Params<Limit>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    access.require(Permission::AuditRead)?;
    let entries = state.store.audit_log(access.ws(), limit.get()).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                at: e.at,
                user: e.user_email,
                action: e.record.action,
                target: e.record.target,
                ip: e.record.ip,
            })
            .collect(),
    ))
}
