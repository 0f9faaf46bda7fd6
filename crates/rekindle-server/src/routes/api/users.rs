//! The operators of a workspace, their roles and the invitations that add them (owners only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rekindle_core::UserId;
use rekindle_core::access::{Permission, Role};
use rekindle_ingest::write_keys::random_token;
use rekindle_store::{Invitation, Member, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use super::WorkspaceParam;
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// How long an invitation's one-time token works.
pub const INVITATION_TOKEN_TTL: chrono::TimeDelta = chrono::TimeDelta::days(7);
/// Invitation tokens start with this, to tell them from other secrets.
pub const INVITATION_TOKEN_PREFIX: &str = "rki_";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, add_user))
        .routes(routes!(set_role))
        .routes(routes!(remove_user))
        .routes(routes!(list_invitations))
        .routes(routes!(revoke_invitation))
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// owner, operator, host, service or analyst
    #[schema(value_type = rekindle_core::access::Role)]
    pub role: String,
    pub created_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            id: m.user.id.0,
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
    /// owner, operator, host, service or analyst
    #[schema(value_type = rekindle_core::access::Role)]
    role: String,
}

/// The answer to an invitation, the same whether or not the email has an account.
#[derive(Serialize, ToSchema)]
pub struct Invited {
    /// Always `invited`.
    pub status: &'static str,
    pub invitation: InvitationView,
    /// One-time: hand it to the invitee. With it, an email that has no account yet gets one
    /// (`POST /api/v1/auth/invitations/redeem`); an existing account accepts when signed in.
    pub token: String,
}

/// A pending invitation of the workspace.
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    pub id: i64,
    pub email: String,
    /// owner, operator, host, service or analyst
    #[schema(value_type = rekindle_core::access::Role)]
    pub role: String,
    pub created_at: DateTime<Utc>,
    /// When its one-time token stops working (the invitation stays for a signed-in invitee).
    pub token_expires_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role.as_str().into(),
            created_at: i.created_at,
            token_expires_at: i.created_at + INVITATION_TOKEN_TTL,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    #[schema(value_type = rekindle_core::access::Role)]
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

/// Invite an operator to the workspace with a role. Membership is the invitee's to accept: signed
/// in, or with the one-time token for an email that has no account yet. The answer does not
/// depend on whether the email has an account, so it tells nobody which emails do.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = NewUser,
    responses((status = 202, body = Invited), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn add_user(
    access: Can<perm::UsersManage>,
    State(state): State<AppState>,
    Body(body): Body<NewUser>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    let email = email(&body.email)?;
    let role = role(&body.role)?;
    // Nothing here looks the email up: the same work, the same answer, either way.
    let token = random_token(INVITATION_TOKEN_PREFIX);
    let invitation = state.store.invite(access.ws(), &email, role, &rekindle_core::secret::hash(&token)).await?;
    access.audit(&state, "user.invite", format!("{email} as {role}")).await;
    Ok((StatusCode::ACCEPTED, Json(Invited { status: "invited", invitation: invitation.into(), token })))
}

/// The workspace's pending invitations.
#[utoipa::path(get, path = "/api/v1/users/invitations", tag = "users", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam),
    responses((status = 200, body = Vec<InvitationView>), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn list_invitations(
    access: Access,
    State(state): State<AppState>,
) -> Result<Json<Vec<InvitationView>>, ApiError> {
    access.require(Permission::UsersManage)?;
    Ok(Json(state.store.workspace_invitations(access.ws()).await?.into_iter().map(Into::into).collect()))
}

/// Withdraw a pending invitation.
#[utoipa::path(delete, path = "/api/v1/users/invitations/{id}", tag = "users", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Invitation id"), WorkspaceParam),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn revoke_invitation(
    access: Access,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::UsersManage)?;
    state.store.revoke_invitation(access.ws(), id).await?;
    access.audit(&state, "user.invite_revoke", format!("invitation {id}")).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace's members, refusing a change that would leave it without an owner.
async fn member_change(
    state: &AppState,
    access: &Access,
    user_id: UserId,
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
    ApiPath(id): ApiPath<UserId>,
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
    ApiPath(id): ApiPath<UserId>,
) -> Result<StatusCode, ApiError> {
    access.require(Permission::UsersManage)?;
    let member = member_change(&state, &access, id, None).await?;
    state.store.remove_member(id, access.ws()).await?;
    access.audit(&state, "user.remove", member.user.email).await;
    Ok(StatusCode::NO_CONTENT)
}
