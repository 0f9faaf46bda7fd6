//! The REST API under `/api/v1`: what the console uses, and the public API. Every route but
//! sign-in takes an [`Access`](crate::auth::Access): a signed-in operator or an API token,
//! with their role in the workspace named by `?workspace=<slug>` (default `default`). Reads
//! see every event acknowledged before the request.

mod audit;
mod auth;
mod catalogue;
mod dashboard;
mod dto;
mod events;
mod identity;
mod input;
mod journeys;
mod keys;
mod messages;
mod models;
mod people;
mod person_activity;
mod person_erasure;
mod person_messages;
mod person_profile;
mod redact;
mod segments;
mod tags;
mod tokens;
mod users;
mod workspaces;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub use dto::*;
pub use redact::{Redact, for_role};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(tokens::router())
        .merge(dashboard::router())
        .merge(people::router())
        .merge(person_activity::router())
        .merge(person_profile::router())
        .merge(person_erasure::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(catalogue::router())
        .merge(events::router())
        .merge(identity::router())
        .merge(keys::router())
        .merge(workspaces::router())
        .merge(segments::router())
        .merge(tags::router())
        .merge(models::router())
        .merge(journeys::router())
        .merge(messages::router())
        .merge(person_messages::router())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkspaceParam {
    /// Workspace (store) slug; `default` when omitted.
    pub workspace: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

impl Limit {
    pub fn get(&self) -> u32 {
        self.limit.unwrap_or(100).clamp(1, 1000)
    }
}

/// `axum::Json`, with a body that does not parse answered by the API's JSON error (`field:
/// "body"` and serde's reason), like every other bad input.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(e) => Err(ApiError::field(ErrorCode::InvalidJson, "body", e.body_text())),
        }
    }
}

/// `axum::extract::Query`, with a query string that does not parse answered by the API's JSON
/// error naming the parameter, like every other bad input.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(e) => {
                let text = e.body_text();
                let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text);
                let (field, reason) = match detail.split_once(": ") {
                    Some((field, reason)) if !field.contains(' ') => (field.to_string(), reason.to_string()),
                    _ => ("query".to_string(), detail.to_string()),
                };
                Err(ApiError::field(ErrorCode::InvalidField, field, reason))
            }
        }
    }
}
