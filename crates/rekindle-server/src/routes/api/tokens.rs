//! An operator's own API tokens: made, listed and revoked by the operator they act as.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use rekindle_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiPath;
use super::Body;
use crate::auth::{Caller, Principal};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_tokens, create_token)).routes(routes!(revoke_token))
}

#[derive(Serialize, ToSchema)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: chrono::DateTime<Utc>,
    #[schema(required = true)]
    pub revoked_at: Option<chrono::DateTime<Utc>>,
}

impl From<rekindle_store::ApiToken> for ApiTokenView {
    fn from(t: rekindle_store::ApiToken) -> Self {
        Self { id: t.id, name: t.name, prefix: t.prefix, created_at: t.created_at, revoked_at: t.revoked_at }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiToken {
    /// The secret: send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub info: ApiTokenView,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    name: String,
}

fn operator(caller: &Caller) -> Result<&User, ApiError> {
    match &caller.principal {
        Principal::User(u) => Ok(u),
        Principal::Admin => Err(ApiError::new(ErrorCode::Forbidden, "the admin token has no API tokens of its own")),
    }
}

/// The caller's API tokens. A token acts as its user, with their role in each workspace.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ApiTokenView>), (status = 401, body = ApiError)))]
async fn list_tokens(caller: Caller, State(state): State<AppState>) -> Result<Json<Vec<ApiTokenView>>, ApiError> {
    let user = operator(&caller)?;
    Ok(Json(state.store.api_tokens(user.id).await?.into_iter().map(Into::into).collect()))
}

/// Create an API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", security(("bearer" = []), ("session" = [])),
    request_body = NewApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
async fn create_token(
    caller: Caller,
    State(state): State<AppState>,
    Body(body): Body<NewApiToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    let user = operator(&caller)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field(ErrorCode::InvalidField, "name", "must be 1 to 100 characters"));
    }
    let (token, info) = crate::auth::create_api_token(&*state.store, user.id, name).await?;
    caller.audit_account(&state, "api_token.create", Some(format!("{} ({})", info.name, info.prefix))).await?;
    Ok((StatusCode::CREATED, Json(CreatedApiToken { token, info: info.into() })))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "API token id")),
    responses((status = 204), (status = 404, body = ApiError), (status = 401, body = ApiError)))]
async fn revoke_token(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let user = operator(&caller)?;
    state.store.revoke_api_token(user.id, id).await?;
    caller.audit_account(&state, "api_token.revoke", Some(format!("token {id}"))).await?;
    Ok(StatusCode::NO_CONTENT)
}
