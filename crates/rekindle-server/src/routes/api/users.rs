//! The operators of a workspace and their roles (owners only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rekindle_core::access::{Permission, Role};
use rekindle_store::{Member, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use super::WorkspaceParam;
use crate::auth::{Access, add_operator, password};
use crate::auth::{Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, add_user)).routes(routes!(set_role)).routes(routes!(remove_user))
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// owner, operator, host, service or analyst
    pub role: String,
    pub created_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            id: m.user.id,
            email: m.user.email,
            name: m.user.name,
            role: m.role.as_str().into(),
            created_at: m.user.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    email: String,
    name: String,
    /// At least 10 characters. Ignored when the email already has an account: that
    /// operator is added to this workspace with their own password.
    password: String,
    role: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    role: String,
}

fn role(text: &str) -> Result<Role, ApiError> {
    text.parse().map_err(|e: String| ApiError::field(ErrorCode::InvalidField, "role", e))
}

/// Check an email is plausible and return it in the form accounts are keyed by.
pub fn email(text: &str) -> Result<String, ApiError> {
    let email = text.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.contains(char::is_whitespace);
    if plausible { Ok(email) } else { Err(ApiError::field(ErrorCode::InvalidField, "email", "not an email address")) }
}

/// The users of the workspace and their roles.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = Vec<MemberView>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn list_users(access: Access, State(state): State<AppState>) -> Result<Json<Vec<MemberView>>, ApiError> {
    access.require(Permission::UsersManage)?;
    Ok(Json(state.store.members(access.ws()).await?.into_iter().map(Into::into).collect()))
}

/// Add an operator to the workspace with a role, creating their account if needed.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = NewUser,
    responses((status = 201, body = MemberView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn add_user(
    access: Can<perm::UsersManage>,
    State(state): State<AppState>,
    Body(body): Body<NewUser>,
) -> Result<(StatusCode, Json<MemberView>), ApiError> {
    let email = email(&body.email)?;
    let role = role(&body.role)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "must be 1 to 100 characters"));
    }
    let existing = state.store.user_by_email(&email).await?.is_some();
    if !existing && body.password.chars().count() < password::MIN_LEN {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "password",
            format!("must be at least {} characters", password::MIN_LEN),
        ));
    }
    let (user, _) = add_operator(&*state.store, access.ws(), &email, name, &body.password, role)
        .await
        .map_err(|e| ApiError::internal(e.as_ref()))?;
    access.audit(&state, "user.add", format!("{email} as {role}")).await;
    Ok((StatusCode::CREATED, Json(MemberView::from(Member { user, role }))))
}

/// The workspace's members, refusing a change that would leave it without an owner.
async fn member_change(
    state: &AppState,
    access: &Access,
    user_id: i64,
    new_role: Option<Role>,
) -> Result<Member, ApiError> {
    let members = state.store.members(access.ws()).await?;
    let member = members
        .iter()
        .find(|m| m.user.id == user_id)
        .cloned()
        .ok_or_else(|| ApiError::from(StoreError::NotFound(format!("user {user_id} in this workspace"))))?;
    let owners = members.iter().filter(|m| m.role == Role::Owner).count();
    if member.role == Role::Owner && new_role != Some(Role::Owner) && owners == 1 {
        return Err(ApiError::new(ErrorCode::Conflict, "a workspace keeps at least one owner"));
    }
    Ok(member)
}

/// Change an operator's role in the workspace.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "users", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "User id"), WorkspaceParam), request_body = RoleChange,
    responses((status = 200, body = MemberView), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn set_role(
    access: Can<perm::UsersManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<RoleChange>,
) -> Result<Json<MemberView>, ApiError> {
    let role = role(&body.role)?;
    let member = member_change(&state, &access, id, Some(role)).await?;
    state.store.set_role(id, access.ws(), role).await?;
    access.audit(&state, "user.role", format!("{}: {} → {role}", member.user.email, member.role)).await;
    Ok(Json(MemberView::from(Member { user: member.user, role })))
}

/// Take an operator out of the workspace (their account stays, for other workspaces).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "User id"), WorkspaceParam),
    responses((status = 204), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn remove_user(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::UsersManage)?;
    let member = member_change(&state, &access, id, None).await?;
    state.store.remove_member(id, access.ws()).await?;
    access.audit(&state, "user.remove", member.user.email).await;
    Ok(StatusCode::NO_CONTENT)
}
