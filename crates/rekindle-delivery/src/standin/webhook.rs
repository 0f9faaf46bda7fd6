//! The operator's webhook receiver, as a stand-in: checks the signature, de-duplicates by
//! Idempotency-Key (answering 200 again), records what it would act on.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::state::{HOLD, Shared};
use super::{Delivered, Fault};
use crate::webhook::{IDEMPOTENCY_KEY, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_webhook_signature};
use crate::{Secret, WebhookConfig};

pub(crate) const SECRET: &str = "standin-webhook-secret";
/// Timestamps older (or newer) than this are refused, against replays.
const TOLERANCE_SECONDS: i64 = 300;

pub(crate) fn config(base: String) -> WebhookConfig {
    WebhookConfig { url: format!("{base}/hooks/rekindle"), secret: Secret::new(SECRET) }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(receive).with_state(shared)
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

#[derive(Deserialize)]
struct Body {
    to: String,
    #[serde(default)]
    text: String,
    link: Option<String>,
    params: Option<Box<serde_json::value::RawValue>>,
}

async fn receive(State(shared): State<Arc<Shared>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    shared.begin().await;
    if method != Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, json!({"error": "POST only"}));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (timestamp, signature, key) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER), header(IDEMPOTENCY_KEY));
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() <= TOLERANCE_SECONDS);
    if !fresh || !verify_webhook_signature(SECRET, &timestamp, &body, &signature) {
        shared.bad_signature();
        return answer(StatusCode::UNAUTHORIZED, json!({"error": "bad signature"}));
    }
    if key.is_empty() {
        return answer(StatusCode::BAD_REQUEST, json!({"error": "Idempotency-Key is required"}));
    }
    let Ok(request) = serde_json::from_slice::<Body>(&body) else {
        return answer(StatusCode::BAD_REQUEST, json!({"error": "not a Rekindle message"}));
    };
    if shared.lock().seen_keys.contains(&key) {
        return answer(StatusCode::OK, json!({"status": "duplicate"}));
    }
    let leaf = |v: serde_json::Value| v.as_str().map(str::to_string);
    let Some(params) = crate::pairs::read_object(request.params.as_ref().map_or("{}", |p| p.get()), leaf) else {
        return answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "params must be an object of strings"}));
    };
    let fault = shared.fault(&request.to);
    let refusal = match fault {
        Some(Fault::ServerError) => Some((StatusCode::INTERNAL_SERVER_ERROR, None)),
        Some(Fault::Quota) => Some((StatusCode::TOO_MANY_REQUESTS, Some("3600"))),
        Some(Fault::Throttle) => Some((StatusCode::TOO_MANY_REQUESTS, Some("2"))),
        Some(Fault::Refused) => Some((StatusCode::GONE, None)),
        Some(Fault::InvalidRecipient) => Some((StatusCode::NOT_FOUND, None)),
        Some(Fault::Timeout) | None => None,
    };
    if let Some((status, retry_after)) = refusal {
        let mut response = answer(status, json!({"error": status.canonical_reason()}));
        if let Some(seconds) = retry_after {
            response.headers_mut().insert("retry-after", seconds.parse().expect("a header value"));
        }
        return response;
    }
    {
        let mut state = shared.lock();
        state.seen_keys.insert(key.clone());
        state.delivered.push(Delivered {
            to: request.to,
            send_key: Some(key),
            template: None,
            params,
            text: request.text,
            link: request.link,
            at: chrono::Utc::now(),
        });
    }
    if fault == Some(Fault::Timeout) {
        tokio::time::sleep(HOLD).await;
    }
    answer(StatusCode::OK, json!({"status": "accepted"}))
}
