//! Who is calling the REST API: a signed-in operator (session cookie), an operator's API
//! token, or the deployment's admin token from the configuration.

use rekindle_core::UserId;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use chrono::Utc;
use rekindle_store::User;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The cookie that carries a console session.
pub const SESSION_COOKIE: &str = "rekindle_session";
/// The header the console echoes its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub enum Principal {
    User(User),
    /// `api.admin_token`: the owner of every workspace, for automation and recovery.
    Admin,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The hash of the session token, when signed in through the console.
    pub session: Option<String>,
    /// The client's address, for the audit log and rate limits.
    pub ip: String,
}

impl Caller {
    pub fn user_id(&self) -> Option<UserId> {
        match &self.principal {
            Principal::User(u) => Some(u.id),
            Principal::Admin => None,
        }
    }

    /// Record an action of this caller in `workspace`'s audit log.
    pub async fn audit(
        &self,
        state: &AppState,
        workspace: rekindle_core::WorkspaceId,
        action: &str,
        target: Option<String>,
    ) -> Result<(), ApiError> {
        let record = rekindle_store::AuditRecord {
            workspace: Some(workspace),
            user_id: self.user_id(),
            action: action.into(),
            target,
            ip: Some(self.ip.clone()),
        };
        Ok(state.store.record_audit(&record).await?)
    }

    /// Record an action on the caller's own account (signing out, API tokens) in the log of
    /// each workspace they work for; see [`record_account_action`].
    pub async fn audit_account(&self, state: &AppState, action: &str, target: Option<String>) -> Result<(), ApiError> {
        record_account_action(&*state.store, self.user_id(), action, target, &self.ip).await
    }
}

/// Record an action on an account (a sign-in, a failed one, an API token) once in the log of
/// each workspace the user works for, so each workspace reads its own entry and none reads
/// another's. Without a user (an email with no account, the admin token) or a workspace, the
/// entry is deployment-wide, in no workspace's log.
pub async fn record_account_action(
    store: &dyn rekindle_store::Store,
    user_id: Option<UserId>,
    action: &str,
    target: Option<String>,
    ip: &str,
) -> Result<(), ApiError> {
    let mut workspaces: Vec<_> = match user_id {
        Some(id) => store.memberships(id).await?.into_iter().map(|m| Some(m.workspace.id)).collect(),
        None => Vec::new(),
    };
    if workspaces.is_empty() {
        workspaces.push(None);
    }
    for workspace in workspaces {
        let record = rekindle_store::AuditRecord {
            workspace,
            user_id,
            action: action.into(),
            target: target.clone(),
            ip: Some(ip.to_string()),
        };
        store.record_audit(&record).await?;
    }
    Ok(())
}

/// The client's address as an extractor, for routes that take no [`Caller`].
pub struct ClientIp(pub String);

impl<S: Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// The client's address: the socket peer (a reverse proxy's address, when behind one).
pub fn client_ip(parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// The value of one cookie in the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::field(ErrorCode::Unauthorized, "Authorization", message)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(token) = bearer {
            if let Some(admin) = &state.admin_token
                && constant_time_eq(token.as_bytes(), admin.expose().as_bytes())
            {
                return Ok(Caller { principal: Principal::Admin, session: None, ip });
            }
            let found = state.store.api_token_by_hash(&rekindle_core::secret::hash(token)).await?;
            let user = match found {
                Some(t) => state.store.user(t.user_id).await?,
                None => None,
            };
            return match user {
                Some(user) => Ok(Caller { principal: Principal::User(user), session: None, ip }),
                None => Err(unauthorized("the API token is unknown or revoked")),
            };
        }

        let Some(token) = cookie(parts, SESSION_COOKIE) else {
            return Err(unauthorized("sign in, or send Authorization: Bearer <API token>"));
        };
        let hash = rekindle_core::secret::hash(token);
        let Some(session) = state.store.session(&hash, Utc::now()).await? else {
            return Err(unauthorized("the session has expired; sign in again"));
        };
        // A cookie rides along on requests other sites make; only the console can read the
        // CSRF token and echo it, so a state change must carry it.
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let echoed = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !constant_time_eq(echoed.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(ApiError::field(ErrorCode::Forbidden, "X-CSRF-Token", "missing or wrong CSRF token"));
            }
        }
        let user = state.store.user(session.user_id).await?.ok_or_else(|| unauthorized("the user no longer exists"))?;
        Ok(Caller { principal: Principal::User(user), session: Some(hash), ip })
    }
}

/// Compare without leaking, through timing, how much of a secret matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_is_exact() {
        assert!(constant_time_eq(b"rka_abc", b"rka_abc"));
        assert!(!constant_time_eq(b"rka_abc", b"rka_ab"));
        assert!(!constant_time_eq(b"rka_abc", b"rka_abd"));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let req = axum::http::Request::builder()
            .header(header::COOKIE, "other=1; rekindle_session_x=2; rekindle_session=abc")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        assert_eq!(cookie(&parts, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&parts, "missing"), None);
    }
}
