//! The REST API under `/api/v1`: what the console uses, and the public API. Every route but
//! sign-in takes an [`Access`](crate::auth::Access): a signed-in operator or an API token,
//! with their role in the workspace named by `?workspace=<slug>` (default `default`). Reads
//! see every event acknowledged before the request.

mod audit;
mod auth;
mod catalogue;
mod channel_codes;
mod channels;
mod contact_reach;
mod contact_transfers;
mod contacts;
mod csv_file;
mod dashboard;
mod dto;
mod events;
mod export_words;
mod faq;
mod groups;
mod identity;
mod input;
mod invitations;
mod journeys;
mod keys;
mod launch;
mod leadership;
mod live;
mod live_csv;
pub(crate) mod loyalty;
mod messages;
mod models;
mod people;
mod people_list;
mod person_activity;
mod person_erasure;
mod person_messages;
mod person_profile;
mod programme;
mod redact;
mod referrals;
mod reports;
mod segment_members;
mod segments;
mod service;
mod service_csv;
mod sidebar;
pub(crate) mod subscriptions;
mod tag_sync;
mod tags;
mod targets;
mod tokens;
mod ugc;
mod users;
mod wecom_jsapi;
mod workspaces;

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub use dto::*;
pub use export_words::Lang;
pub use redact::{Redact, for_role};

/// The largest REST request body; past it, `413 payload_too_large`.
pub const BODY_LIMIT: usize = 2 << 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(tokens::router())
        .merge(dashboard::router())
        .merge(reports::router())
        .merge(programme::router())
        .merge(live::router())
        .merge(loyalty::router())
        .merge(contacts::router())
        .merge(channel_codes::router())
        .merge(contact_transfers::router())
        .merge(contact_reach::router())
        .merge(sidebar::router())
        .merge(leadership::router())
        .merge(tag_sync::router())
        .merge(referrals::router())
        .merge(groups::router())
        .merge(ugc::router())
        .merge(service::router())
        .merge(service_csv::router())
        .merge(subscriptions::router())
        .merge(faq::router())
        .merge(targets::router())
        .merge(people::router())
        .merge(channels::router())
        .merge(people_list::router())
        .merge(person_activity::router())
        .merge(person_profile::router())
        .merge(person_erasure::router())
        .merge(users::router())
        .merge(invitations::router())
        .merge(audit::router())
        .merge(catalogue::router())
        .merge(events::router())
        .merge(identity::router())
        .merge(keys::router())
        .merge(workspaces::router())
        .merge(segments::router())
        .merge(segment_members::router())
        .merge(tags::router())
        .merge(models::router())
        .merge(journeys::router())
        .merge(launch::router())
        .merge(messages::router())
        .merge(person_messages::router())
        .merge(wecom_jsapi::router())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
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
/// "body"` and serde's reason), like every other bad input. The body is a JSON object: serde
/// would read a struct from an array of its fields in order (and one whose fields all have
/// defaults from `[]`), which no client means; routes that take an array take [`ListBody`].
pub struct Body<T>(pub T);

/// [`Body`] for the routes whose body is a JSON array.
pub struct ListBody<T>(pub Vec<T>);

async fn json_bytes<S: Send + Sync>(req: axum::extract::Request, state: &S) -> Result<axum::body::Bytes, ApiError> {
    if !json_content_type(req.headers()) {
        return Err(ApiError::field(
            ErrorCode::UnsupportedMediaType,
            "Content-Type",
            "Expected request with `Content-Type: application/json`",
        ));
    }
    <axum::body::Bytes as axum::extract::FromRequest<S>>::from_request(req, state).await.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::field(
            ErrorCode::PayloadTooLarge,
            "body",
            format!("the body is larger than the limit of {BODY_LIMIT} bytes"),
        ),
        _ => ApiError::field(ErrorCode::InvalidJson, "body", e.body_text()),
    })
}

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(ApiError::field(ErrorCode::InvalidField, "body", "must be a JSON object"));
        }
        read_json(&bytes).map(Body)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ListBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        read_json(&json_bytes(req, state).await?).map(ListBody)
    }
}

/// `application/json`, or any `application/…+json`.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The body as `T`. A value of the wrong type or shape is named by where it is (`token`,
/// `definition.steps[2].wait`), read from the deserializer's path rather than its message;
/// JSON that does not parse, or a wrong whole body, names the body.
fn read_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => {
                ApiError::field(ErrorCode::InvalidField, path, inner.to_string())
            }
            serde_json::error::Category::Data => ApiError::field(ErrorCode::InvalidField, "body", inner.to_string()),
            _ => ApiError::field(ErrorCode::InvalidJson, "body", inner.to_string()),
        }
    })?;
    de.end().map_err(|e| ApiError::field(ErrorCode::InvalidJson, "body", e.to_string()))?;
    Ok(value)
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

/// `axum::extract::Path`, with a path parameter that does not parse (`/segments/abc`)
/// answered by the API's JSON error naming the parameter, like every other bad input.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                // Tuples report a position; the route's own parameter names say which it is.
                let names: Vec<String> = match RawPathParams::from_request_parts(parts, state).await {
                    Ok(raw) => raw.iter().map(|(name, _)| name.to_string()).collect(),
                    Err(_) => Vec::new(),
                };
                Err(path_error(e.into_kind(), &names))
            }
            Err(e) => Err(ApiError::internal(&e)),
        }
    }
}

/// The error for a path parameter that did not parse; `names` are the route's parameters.
fn path_error(kind: ErrorKind, names: &[String]) -> ApiError {
    let invalid = |field: &str, value: &str, expected: &str| {
        ApiError::field(ErrorCode::InvalidField, field, format!("`{value}` is not {}", described(expected)))
    };
    match kind {
        ErrorKind::ParseErrorAtKey { key, value, expected_type } => invalid(&key, &value, expected_type),
        ErrorKind::ParseErrorAtIndex { index, value, expected_type } => {
            invalid(names.get(index).map_or("path", String::as_str), &value, expected_type)
        }
        ErrorKind::ParseError { value, expected_type } => {
            invalid(names.first().map_or("path", String::as_str), &value, expected_type)
        }
        ErrorKind::InvalidUtf8InPathParam { key } => {
            ApiError::field(ErrorCode::InvalidField, key, "is not valid UTF-8 once percent-decoded")
        }
        ErrorKind::DeserializeError { key, value, message } => {
            ApiError::field(ErrorCode::InvalidField, key, format!("`{value}`: {message}"))
        }
        other => {
            let field = names.first().map_or("path", String::as_str);
            ApiError::field(ErrorCode::InvalidField, field, other.to_string())
        }
    }
}

/// What a Rust type name means to a client.
fn described(expected_type: &str) -> String {
    match expected_type {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer".into(),
        "f32" | "f64" => "a number".into(),
        "bool" => "true or false".into(),
        other => format!("a valid {}", other.rsplit("::").next().unwrap_or(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_errors_name_the_parameter_and_the_value() {
        let names = vec!["person".to_string(), "tag".to_string()];
        let e =
            path_error(ErrorKind::ParseErrorAtKey { key: "id".into(), value: "abc".into(), expected_type: "i64" }, &[]);
        assert_eq!(
            (e.code, e.field.as_deref(), e.message.as_str()),
            (ErrorCode::InvalidField, Some("id"), "`abc` is not an integer")
        );
        let e = path_error(ErrorKind::ParseErrorAtIndex { index: 1, value: "x".into(), expected_type: "u32" }, &names);
        assert_eq!((e.field.as_deref(), e.message.as_str()), (Some("tag"), "`x` is not a non-negative integer"));
        let e = path_error(ErrorKind::InvalidUtf8InPathParam { key: "person".into() }, &names);
        assert_eq!(e.field.as_deref(), Some("person"));
    }
}
