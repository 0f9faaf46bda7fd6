//! The console at `/`: the embedded single-page app. Any path that is not a built file gets
//! `index.html`, so deep links (`/people/…`) load the app, which routes on the client. Unknown
//! API paths stay JSON 404s.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path.starts_with("/v1/") {
        return ApiError::not_found(format!("route {path}")).into_response();
    }
    let (asset, is_index) = match rekindle_console::asset(path) {
        Some(a) => (a, path.trim_start_matches('/').is_empty() || path.ends_with("index.html")),
        None => (rekindle_console::index(), true),
    };
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else if is_index {
        // The page names the current hashed scripts, so it must be fetched fresh.
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    let mut response = (StatusCode::OK, asset.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
