//! The signed-in operator's invitations: list, accept, decline; and redeeming an invitation's
//! one-time token, which makes the account of an email that has none.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rekindle_core::UserId;
use rekindle_store::{Invitation, Redeemed};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::MembershipView;
use super::users::{INVITATION_TOKEN_PREFIX, INVITATION_TOKEN_TTL};
use super::{ApiPath, Body};
use crate::auth::{Caller, ClientIp, password};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_invitations))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(redeem))
}

/// An invitation waiting for the signed-in operator.
#[derive(Serialize, ToSchema)]
pub struct MyInvitationView {
    pub id: i64,
    /// The workspace's slug and name.
    pub workspace: String,
    pub workspace_name: String,
    /// owner, operator, host, service or analyst
    #[schema(value_type = rekindle_core::access::Role)]
    pub role: String,
    pub created_at: DateTime<Utc>,
}

impl From<Invitation> for MyInvitationView {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            workspace: i.workspace.slug,
            workspace_name: i.workspace.name,
            role: i.role.as_str().into(),
            created_at: i.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeem {
    /// The one-time token the inviting owner was given.
    token: String,
    /// The new account's name, 1 to 100 characters.
    name: String,
    /// The new account's password, at least 10 characters.
    password: String,
}

/// The answer to redeeming a token, the same whether or not the email already had an account.
#[derive(Serialize, ToSchema)]
pub struct RedeemView {
    /// Always `redeemed`.
    pub status: &'static str,
    pub message: &'static str,
}

/// The invitations waiting for the signed-in operator (none for the admin token).
#[utoipa::path(get, path = "/api/v1/auth/invitations", tag = "auth", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<MyInvitationView>), (status = 401, body = ApiError)))]
async fn my_invitations(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<MyInvitationView>>, ApiError> {
    let Some(user_id) = caller.user_id() else { return Ok(Json(Vec::new())) };
    Ok(Json(state.store.invitations_for(user_id).await?.into_iter().map(Into::into).collect()))
}

fn invitee(caller: &Caller, id: i64) -> Result<UserId, ApiError> {
    caller.user_id().ok_or_else(|| ApiError::not_found(format!("invitation {id}")))
}

/// Accept an invitation: the role in its workspace becomes the operator's.
#[utoipa::path(post, path = "/api/v1/auth/invitations/{id}/accept", tag = "auth", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Invitation id")),
    responses((status = 200, body = MembershipView), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
async fn accept(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MembershipView>, ApiError> {
    let m = state.store.accept_invitation(id, invitee(&caller, id)?).await?;
    caller.audit(&state, m.workspace.id, "user.join", Some(format!("as {}", m.role))).await?;
    Ok(Json(MembershipView::from(m)))
}

/// Decline an invitation.
#[utoipa::path(post, path = "/api/v1/auth/invitations/{id}/decline", tag = "auth", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "Invitation id")),
    responses((status = 204), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
async fn decline(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.decline_invitation(id, invitee(&caller, id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Redeem an invitation's one-time token (no sign-in). An email with no account gets one, with
/// this name and password and the invited role; an email that has one keeps it untouched, and
/// its holder accepts the invitation signed in. The answer is the same either way.
#[utoipa::path(post, path = "/api/v1/auth/invitations/redeem", tag = "auth", request_body = Redeem,
    responses((status = 202, body = RedeemView), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn redeem(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Body(body): Body<Redeem>,
) -> Result<(StatusCode, Json<RedeemView>), ApiError> {
    let token = body.token.trim();
    if !token.starts_with(INVITATION_TOKEN_PREFIX) || token.len() > 200 {
        return Err(ApiError::field(ErrorCode::InvalidField, "token", "not an invitation token"));
    }
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "must be 1 to 100 characters"));
    }
    password::check_new(&body.password)
        .map_err(|reason| ApiError::field(ErrorCode::InvalidField, "password", reason))?;
    // Hashing is slow on purpose: an address gets as many tries as it gets sign-ins.
    state.login_limiter.reserve_address(&ip, std::time::Instant::now()).map_err(|wait| {
        ApiError::field(
            ErrorCode::RateLimited,
            "token",
            format!("too many attempts; try again in {} minutes", wait.as_secs().div_ceil(60).max(1)),
        )
    })?;
    let hash = password::hash(body.password).await.map_err(|e| ApiError::internal(e.as_ref()))?;
    let made_after = Utc::now() - INVITATION_TOKEN_TTL;
    let outcome = state.store.redeem_invitation(&rekindle_core::secret::hash(token), made_after, name, &hash).await?;
    match outcome {
        None => {
            return Err(ApiError::field(ErrorCode::NotFound, "token", "the invitation is unknown, used or expired"));
        }
        Some(Redeemed::Created(user)) => {
            let caller = Caller { principal: crate::auth::Principal::User(user), session: None, ip };
            caller.audit_account(&state, "user.join", Some("new account".into())).await?;
        }
        Some(Redeemed::AccountExists) => {}
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(RedeemView {
            status: "redeemed",
            message: "sign in to continue; if this email already had an account, sign in with its own password and accept the invitation there",
        }),
    ))
}
