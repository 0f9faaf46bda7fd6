//! The Segment HTTP Tracking API: `/v1/identify|track|page|screen|group|alias|batch|import`.
//!
//! A request is answered `200 {"success": true}` only after all its messages are committed.
//! A request with any invalid message writes nothing and names the first bad field.

mod body;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use rekindle_core::message::{Arrival, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES};
use rekindle_core::{FieldError, Message, MessageKind};
use rekindle_ingest::IngestError;
use rekindle_store::Source;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::basic_username;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(identify))
        .routes(routes!(track))
        .routes(routes!(page))
        .routes(routes!(screen))
        .routes(routes!(group))
        .routes(routes!(alias))
        .routes(routes!(batch))
        .routes(routes!(import))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    success: bool,
}

/// The batch envelope. Other top-level keys are ignored, as Segment does.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    batch: Option<Vec<&'a RawValue>>,
    #[serde(rename = "sentAt")]
    sent_at: Option<Value>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    context: Option<Map<String, Value>>,
}

macro_rules! single_endpoint {
    ($fn:ident, $kind:expr, $path:literal, $summary:literal) => {
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "ingestion", security(("write_key" = [])),
                                    request_body(content = Object, description = "One Segment message"),
                                    responses((status = 200, body = Accepted), (status = "4XX", body = ApiError)))]
        async fn $fn(
            State(state): State<AppState>,
            headers: HeaderMap,
            body: Body,
        ) -> Result<Json<Accepted>, ApiError> {
            single(state, headers, body, $kind).await
        }
    };
}

single_endpoint!(identify, MessageKind::Identify, "/v1/identify", "Who a person is: traits and identifiers.");
single_endpoint!(track, MessageKind::Track, "/v1/track", "Something a person did.");
single_endpoint!(page, MessageKind::Page, "/v1/page", "A page view.");
single_endpoint!(screen, MessageKind::Screen, "/v1/screen", "A screen view in an app or mini-program.");
single_endpoint!(group, MessageKind::Group, "/v1/group", "A person joined a group.");
single_endpoint!(alias, MessageKind::Alias, "/v1/alias", "Link a previous id to a user id.");

/// Many messages of any type in one request (at most 2,500 and 500 KB).
#[utoipa::path(post, path = "/v1/batch", tag = "ingestion", security(("write_key" = [])),
    request_body(content = Object, description = "{\"batch\": [messages], \"sentAt\": …}"),
    responses((status = 200, body = Accepted), (status = "4XX", body = ApiError)))]
async fn batch(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Json<Accepted>, ApiError> {
    many(state, headers, body, false).await
}

/// Historical messages: like batch, but each `timestamp` is kept as written.
#[utoipa::path(post, path = "/v1/import", tag = "ingestion", security(("write_key" = [])),
    request_body(content = Object, description = "{\"batch\": [messages]}"),
    responses((status = 200, body = Accepted), (status = "4XX", body = ApiError)))]
async fn import(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Json<Accepted>, ApiError> {
    many(state, headers, body, true).await
}

async fn single(
    state: AppState,
    headers: HeaderMap,
    body: Body,
    kind: MessageKind,
) -> Result<Json<Accepted>, ApiError> {
    let received_at = state.engine.now();
    let bytes = body::read(&headers, body, MAX_MESSAGE_BYTES, ErrorCode::MessageTooLarge).await?;
    let object = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(o)) => o,
        Ok(_) => return Err(ApiError::field(ErrorCode::InvalidJson, "body", "a message must be a JSON object")),
        Err(e) => return Err(ApiError::field(ErrorCode::InvalidJson, "body", format!("malformed JSON: {e}"))),
    };
    let body_key = object.get("writeKey").and_then(Value::as_str).map(str::to_string);
    let key = authenticate(&state, &headers, body_key).await?;
    let message = Message::from_object(object, Some(kind), &Arrival::live(received_at), &bytes)?;
    submit(&state, key, vec![message]).await
}

async fn many(state: AppState, headers: HeaderMap, body: Body, historical: bool) -> Result<Json<Accepted>, ApiError> {
    let received_at = state.engine.now();
    let bytes = body::read(&headers, body, MAX_BATCH_BYTES, ErrorCode::BatchTooLarge).await?;
    let envelope: Envelope = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::field(ErrorCode::InvalidJson, "body", format!("malformed JSON: {e}")))?;
    let key = authenticate(&state, &headers, envelope.write_key.clone()).await?;
    let raw = envelope.batch.ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "batch", "batch is required"))?;
    if raw.len() > MAX_BATCH_MESSAGES {
        return Err(ApiError::field(
            ErrorCode::BatchTooLarge,
            "batch",
            format!("{} messages; the limit is {MAX_BATCH_MESSAGES}", raw.len()),
        ));
    }
    let batch_sent_at = match &envelope.sent_at {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            rekindle_core::time::parse_timestamp(s)
                .map_err(|r| ApiError::field(ErrorCode::InvalidField, "sentAt", r))?,
        ),
        Some(_) => return Err(ApiError::field(ErrorCode::InvalidField, "sentAt", "must be an ISO 8601 string")),
    };
    let arrival = Arrival { received_at, batch_sent_at, historical, batch_context: envelope.context.as_ref() };
    let mut messages = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let prefix = format!("batch[{i}]");
        let json = r.get();
        if json.len() > MAX_MESSAGE_BYTES {
            return Err(ApiError::field(
                ErrorCode::MessageTooLarge,
                prefix,
                format!("message is {} bytes; the limit is {MAX_MESSAGE_BYTES}", json.len()),
            ));
        }
        let message =
            Message::parse(json, None, &arrival).map_err(|e: FieldError| ApiError::from(e.within(&prefix)))?;
        messages.push(message);
    }
    submit(&state, key, messages).await
}

pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    body_key: Option<String>,
) -> Result<rekindle_store::WriteKey, ApiError> {
    let secret = basic_username(headers).filter(|u| !u.is_empty()).or(body_key);
    state.write_keys.authenticate(&*state.store, secret.as_deref()).await
}

pub(crate) async fn submit(
    state: &AppState,
    key: rekindle_store::WriteKey,
    messages: Vec<Message>,
) -> Result<Json<Accepted>, ApiError> {
    if !messages.is_empty() {
        state.ingestor.submit(key.workspace, Source::write_key(&key.name), messages).await.map_err(|e| match e {
            IngestError::Overloaded => ApiError::new(ErrorCode::Overloaded, e.to_string()),
            IngestError::Stopped => ApiError::new(ErrorCode::Unavailable, e.to_string()),
            IngestError::Store(e) => ApiError::internal(&e),
        })?;
    }
    Ok(Json(Accepted { success: true }))
}
