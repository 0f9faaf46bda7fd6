//! Sensors Data (神策) ingestion: what its SDKs send, taken unmodified (docs/ingestion-sensors.md).
//!
//! `POST /sa` (a batch or one record, form-encoded), `GET /sa` and `GET /sa.gif` (the web SDK's
//! image beacon), `POST /debug` (the path the SDKs' debug mode derives; `Dry-Run: true` checks
//! without storing). The write key is the `token` query parameter or form field, the HTTP
//! Basic username, or a record's `token`. Records are translated in core
//! ([`rekindle_core::sensors`]) and take the Segment endpoints' road into the event log: an
//! upload with any bad record writes nothing and names the first bad field.

mod wire;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rekindle_core::WorkspaceId;
use rekindle_core::message::Arrival;
use rekindle_core::sensors::{self, ItemChange, Record};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::tracking::{Accepted, authenticate, submit};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
pub use wire::MAX_FORM_BYTES;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sa_post, sa_get))
        .routes(routes!(gif_post, gif_get))
        .routes(routes!(debug))
        .route("/sa", axum::routing::options(preflight))
        .route("/sa.gif", axum::routing::options(preflight))
        .route("/debug", axum::routing::options(preflight))
        .layer(axum::middleware::from_fn(cross_origin))
}

/// `POST` and `GET` of one path the SDKs send to: a form upload, and an image beacon answered
/// with a 1×1 GIF. (The web SDK rewrites a server URL ending in `/sa` to `/sa.gif`.)
macro_rules! upload_endpoints {
    ($post:ident, $get:ident, $path:literal) => {
        /// A batch or one record: form fields `data_list` or `data` (base64 of JSON), `gzip=1`
        /// when gzipped.
        #[utoipa::path(post, path = $path, tag = "ingestion", security(("write_key" = [])),
            params(("token" = Option<String>, Query, description = "The write key")),
            request_body(content = String, content_type = "application/x-www-form-urlencoded",
                         description = "data_list=<base64 of gzipped JSON array>&gzip=1, or data=<base64 of JSON>"),
            responses((status = 200, body = Accepted), (status = "4XX", body = ApiError)))]
        async fn $post(
            State(state): State<AppState>,
            uri: Uri,
            headers: HeaderMap,
            body: Body,
        ) -> Result<Response, ApiError> {
            ingest(&state, &uri, &headers, body, false).await.map(|()| accepted())
        }

        /// The web SDK's image beacon: `?data=<base64 of JSON>&token=…`; answered with a 1×1 GIF.
        #[utoipa::path(get, path = $path, tag = "ingestion", security(("write_key" = [])),
            params(("data" = String, Query, description = "Base64 of one record's JSON"),
                   ("token" = Option<String>, Query, description = "The write key")),
            responses((status = 200, content_type = "image/gif", description = "Stored"),
                      (status = "4XX", body = ApiError)))]
        async fn $get(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Result<Response, ApiError> {
            ingest(&state, &uri, &headers, Body::empty(), false).await.map(|()| pixel())
        }
    };
}

upload_endpoints!(sa_post, sa_get, "/sa");
upload_endpoints!(gif_post, gif_get, "/sa.gif");

/// The SDKs' debug mode: like `POST /sa`, but with `Dry-Run: true` only checked, not stored.
#[utoipa::path(post, path = "/debug", tag = "ingestion", security(("write_key" = [])),
    params(("token" = Option<String>, Query, description = "The write key"),
           ("Dry-Run" = Option<String>, Header, description = "true: check, store nothing")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = Accepted), (status = "4XX", body = ApiError)))]
async fn debug(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let dry_run =
        headers.get("dry-run").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    ingest(&state, &uri, &headers, body, dry_run).await.map(|()| accepted())
}

async fn ingest(state: &AppState, uri: &Uri, headers: &HeaderMap, body: Body, dry_run: bool) -> Result<(), ApiError> {
    let received_at = state.engine.now();
    check_content_type(headers)?;
    let body = axum::body::to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| {
        ApiError::field(
            ErrorCode::BatchTooLarge,
            "body",
            format!("the upload is larger than the limit of {MAX_FORM_BYTES} bytes"),
        )
    })?;
    let upload = wire::Upload::read(uri.query(), &body);
    let (field, json) = upload.json()?;
    let records = wire::records(field, &json)?;
    let record_token = || {
        records
            .first()
            .and_then(|r| serde_json::from_str::<Value>(r.get()).ok()?.get("token")?.as_str().map(str::to_string))
    };
    let key = authenticate(state, headers, upload.token.clone().or_else(record_token)).await?;

    let arrival = Arrival::live(received_at);
    let single = field == "data" && records.len() == 1;
    let (mut messages, mut items) = (Vec::with_capacity(records.len()), Vec::new());
    for (i, raw) in records.iter().enumerate() {
        let at = if single { field.to_string() } else { format!("{field}[{i}]") };
        let value: Value = serde_json::from_str(raw.get())
            .map_err(|e| ApiError::field(ErrorCode::InvalidJson, at.clone(), format!("malformed JSON: {e}")))?;
        match sensors::translate(value, &arrival, raw.get().as_bytes()).map_err(|e| ApiError::from(e.within(&at)))? {
            Record::Message(m) => messages.push(*m),
            Record::Item(change) => items.push(change),
        }
    }
    if dry_run {
        return Ok(());
    }
    change_catalogue(state, key.workspace, items).await?;
    submit(state, key, messages).await.map(|_| ())
}

/// Apply item records in order: runs of sets, then of deletions, each in one write.
async fn change_catalogue(state: &AppState, ws: WorkspaceId, changes: Vec<ItemChange>) -> Result<(), ApiError> {
    let mut changes = changes.into_iter().peekable();
    while let Some(first) = changes.next() {
        match first {
            ItemChange::Set(p) => {
                let mut run = vec![p];
                while let Some(ItemChange::Set(_)) = changes.peek() {
                    let Some(ItemChange::Set(p)) = changes.next() else { unreachable!() };
                    run.push(p);
                }
                state.store.put_products(ws, run).await?;
            }
            ItemChange::Delete(sku) => {
                let mut run = vec![sku];
                while let Some(ItemChange::Delete(_)) = changes.peek() {
                    let Some(ItemChange::Delete(sku)) = changes.next() else { unreachable!() };
                    run.push(sku);
                }
                state.store.delete_products(ws, run).await?;
            }
        }
    }
    Ok(())
}

/// Forms, or `text/plain` (a beacon's), or nothing.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else { return Ok(()) };
    let mime = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime.is_empty() || mime == "application/x-www-form-urlencoded" || mime == "text/plain" {
        Ok(())
    } else {
        Err(ApiError::field(
            ErrorCode::UnsupportedMediaType,
            "Content-Type",
            format!("{mime} is not accepted; send application/x-www-form-urlencoded"),
        ))
    }
}

fn accepted() -> Response {
    Json(serde_json::json!({"success": true})).into_response()
}

/// A transparent 1×1 GIF: what an image beacon waits for.
fn pixel() -> Response {
    const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
    ([(header::CONTENT_TYPE, "image/gif"), (header::CACHE_CONTROL, "no-store")], GIF).into_response()
}

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The web SDK posts from the shop's own origin, with cookies: the answer names that origin
/// and allows credentials, or the browser hides it from the SDK, which then sends again.
async fn cross_origin(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let preflight = request.method() == Method::OPTIONS;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        if preflight {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Content-Type, Authorization, Dry-Run"),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
        }
    }
    response
}
