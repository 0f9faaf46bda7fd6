//! Signing in and out of the console, and the signed-in operator.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rekindle_core::access::{Permission, Role};
use rekindle_ingest::write_keys::random_token;
use rekindle_store::{Membership, Session, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Body;
use crate::auth::{Caller, ClientIp, Principal, SESSION_COOKIE, password, record_account_action};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self { id: u.id.0, email: u.email, name: u.name }
    }
}

/// A workspace the operator works for, their role there and what it permits.
#[derive(Serialize, ToSchema)]
pub struct MembershipView {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    /// owner, operator, host, service or analyst
    #[schema(value_type = rekindle_core::access::Role)]
    pub role: String,
    /// people.read, pii.read, events.read, catalogue.write, keys.manage, users.manage,
    /// audit.read, workspace.manage
    pub permissions: Vec<Permission>,
}

impl From<Membership> for MembershipView {
    fn from(m: Membership) -> Self {
        Self {
            slug: m.workspace.slug,
            name: m.workspace.name,
            time_zone: m.workspace.time_zone,
            role: m.role.as_str().into(),
            permissions: m.role.permissions(),
        }
    }
}

/// The signed-in operator, as the console needs them.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub user: UserView,
    /// Echo in `X-CSRF-Token` on every POST, PUT and DELETE made with the session cookie.
    pub csrf_token: String,
    pub workspaces: Vec<MembershipView>,
}

async fn session_view(state: &AppState, caller: &Caller, csrf_token: String) -> Result<SessionView, ApiError> {
    let (user, memberships) = match &caller.principal {
        Principal::User(u) => {
            let ms = state.store.memberships(u.id).await?;
            (u.clone().into(), ms.into_iter().map(|m| (m.workspace, m.role)).collect::<Vec<_>>())
        }
        Principal::Admin => {
            let all = state.store.workspaces().await?;
            let user = UserView { id: 0, email: "admin-token".into(), name: "Admin token".into() };
            (user, all.into_iter().map(|w| (w, Role::Owner)).collect())
        }
    };
    let workspaces = memberships.into_iter().map(|(workspace, role)| Membership { workspace, role }.into()).collect();
    Ok(SessionView { user, csrf_token, workspaces })
}

fn session_cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.auth.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&cookie).expect("cookie values are ASCII tokens")
}

/// Sign in with email and password; sets the session cookie (HttpOnly). Attempts are limited
/// per email and per address, counted before the password is checked; a successful one is
/// not held against the address.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = SessionView), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Body(body): Body<Login>,
) -> Result<Response, ApiError> {
    let email = body.email.trim().to_lowercase();
    if body.password.chars().count() > password::MAX_LEN {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "password",
            format!("must be at most {} characters", password::MAX_LEN),
        ));
    }
    // The attempt counts before the password is checked: parallel guesses cannot all slip
    // past the limit while the first ones are still being hashed.
    let attempt = state.login_limiter.reserve(&email, &ip, Instant::now()).map_err(|wait| {
        ApiError::field(
            ErrorCode::RateLimited,
            "email",
            format!("too many sign-in attempts; try again in {} minutes", wait.as_secs().div_ceil(60).max(1)),
        )
    })?;
    let user = state.store.user_by_email(&email).await?;
    let stored = user.as_ref().map_or_else(|| password::decoy().to_string(), |u| u.password_hash.clone());
    let ok = password::verify(body.password, stored).await && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        let known = state.store.user_by_email(&email).await?.map(|u| u.id);
        record_account_action(&*state.store, known, "auth.login_failed", Some(email.clone()), &ip).await?;
        return Err(ApiError::new(ErrorCode::Unauthorized, "wrong email or password"));
    };
    state.login_limiter.succeeded(attempt);

    let token = random_token("rks_");
    let created_at = Utc::now();
    let hours = i64::from(state.auth.session_hours.max(1));
    let session = Session {
        user_id: user.id,
        csrf_token: random_token(""),
        created_at,
        expires_at: created_at + chrono::Duration::hours(hours),
    };
    state.store.create_session(&rekindle_core::secret::hash(&token), &session).await?;
    record_account_action(&*state.store, Some(user.id), "auth.login", Some(email.clone()), &ip).await?;
    let caller = Caller { principal: Principal::User(user), session: None, ip };
    let view = session_view(&state, &caller, session.csrf_token).await?;
    let mut response = Json(view).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &token, hours * 3600));
    Ok(response)
}

/// Sign out: the session ends on the server and the cookie is cleared.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("session" = [])),
    responses((status = 204), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
async fn logout(caller: Caller, State(state): State<AppState>) -> Result<Response, ApiError> {
    if let Some(hash) = &caller.session {
        state.store.delete_session(hash).await?;
    }
    caller.audit_account(&state, "auth.logout", None).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

/// The signed-in operator, their workspaces and roles, and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SessionView), (status = 401, body = ApiError)))]
async fn me(caller: Caller, State(state): State<AppState>) -> Result<Json<SessionView>, ApiError> {
    let csrf = match &caller.session {
        Some(hash) => state.store.session(hash, Utc::now()).await?.map(|s| s.csrf_token).unwrap_or_default(),
        None => String::new(),
    };
    Ok(Json(session_view(&state, &caller, csrf).await?))
}
