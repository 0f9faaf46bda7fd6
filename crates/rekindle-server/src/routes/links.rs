//! Tracked links (docs/journeys.md, "Tracked links"): `GET /l/{code}` records `Message
//! Clicked` on the person the message went to, with its journey and step, and redirects
//! (`302`) to the address the message named. No login: the code, made from the workspace,
//! the send and the address, is the whole claim. An unknown code is a JSON 404.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use rekindle_core::outreach::tracked;
use rekindle_core::{WorkspaceId, events};
use rekindle_store::{PersonRef, Source, TrackedLink};

use crate::error::ApiError;
use crate::routes::api::ApiPath;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    // The code as a catch-all, so `/l/a/b` is an unknown link too, not the console.
    Router::new().route("/l/", get(missing)).route("/l/{*code}", get(follow))
}

/// What a `Location` header holds: the address, anything but printable ASCII percent-encoded.
const LOCATION: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

async fn missing() -> ApiError {
    ApiError::not_found("link")
}

async fn follow(State(state): State<AppState>, method: Method, ApiPath(code): ApiPath<String>) -> Response {
    let unknown = || ApiError::not_found(format!("link {code}")).into_response();
    let Some(parsed) = tracked::parse_code(&code) else { return unknown() };
    let (ws, link) = match state.store.link_by_code(&parsed).await {
        Ok(Some(found)) => found,
        Ok(None) => return unknown(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    // Saved only for web addresses; never sent anywhere else, whatever the row holds.
    if !tracked::is_web_address(&link.url) {
        return unknown();
    }
    // A HEAD (a link checker, a preview) is answered, not counted.
    if method != Method::HEAD
        && let Err(e) = clicked(&state, ws, &link, state.engine.now()).await
    {
        tracing::warn!(code = %link.code, send_key = %link.send_key, error = %e, "a click was not recorded");
    }
    let location = utf8_percent_encode(&link.url, LOCATION).to_string();
    let Ok(location) = HeaderValue::from_str(&location) else { return unknown() };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    // Every click reaches the server; the address learns nothing of the code.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `Message Clicked` on the person the link was sent to (as they are now), through the
/// ingestor like any event. Every click is one: its id is the code and the time.
async fn clicked(state: &AppState, ws: WorkspaceId, link: &TrackedLink, now: DateTime<Utc>) -> Result<(), String> {
    let person = state
        .store
        .person(ws, &PersonRef::Id(link.person))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the person is no longer there")?;
    let properties = serde_json::json!({
        "message_id": link.send_key, "journey_id": link.journey, "step": link.step, "variant": link.variant,
        "url": link.url, "channel": link.channel.as_str(), "code": link.code,
    });
    let id = format!("click:{}:{}", link.code, now.timestamp_millis());
    let message = rekindle_engine::addressed::track(&person, events::MESSAGE_CLICKED, &id, properties, now, now)
        .map_err(|e| format!("{}: {}", e.field, e.reason))?
        .ok_or("the person holds no identifier to write the click to")?;
    state.ingestor.submit(ws, Source("tracked_link".into()), vec![message]).await.map_err(|e| e.to_string())
}
