//! Mini-program stand-in: `cgi-bin/token` and `cgi-bin/message/subscribe/send`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{HOLD, Shared, TokenState};
use super::{Delivered, Fault};
use crate::{MiniProgramConfig, Secret};

pub(crate) const APP_ID: &str = "wxstandin00000001";
pub(crate) const APP_SECRET: &str = "standin-miniprogram-secret";

pub(crate) fn config(api_base: String) -> MiniProgramConfig {
    MiniProgramConfig { api_base, app_id: APP_ID.into(), app_secret: Secret::new(APP_SECRET), state: "trial".into() }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/cgi-bin/token", get(token))
        .route("/cgi-bin/message/subscribe/send", post(subscribe_send))
        .with_state(shared)
}

fn refuse(errcode: i64, errmsg: &str) -> Response {
    let rid = hex::encode(rand::random::<[u8; 6]>());
    axum::Json(json!({"errcode": errcode, "errmsg": format!("{errmsg} rid: {rid}")})).into_response()
}

async fn token(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>) -> Response {
    shared.begin().await;
    if q.get("grant_type").map(String::as_str) != Some("client_credential") {
        return refuse(40002, "invalid grant_type");
    }
    if q.get("appid").map(String::as_str) != Some(APP_ID) {
        shared.bad_signature();
        return refuse(40013, "invalid appid");
    }
    if q.get("secret").map(String::as_str) != Some(APP_SECRET) {
        shared.bad_signature();
        return refuse(40125, "invalid appsecret");
    }
    // WeChat's token answer has no errcode.
    axum::Json(json!({"access_token": shared.issue_token(), "expires_in": 7200})).into_response()
}

#[derive(Deserialize)]
struct Subscribe {
    touser: String,
    template_id: String,
    page: Option<String>,
    miniprogram_state: Option<String>,
    /// Kept raw, to read its entries in the order sent.
    data: Option<Box<serde_json::value::RawValue>>,
}

async fn subscribe_send(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    shared.begin().await;
    match shared.token(q.get("access_token").map(String::as_str)) {
        TokenState::Valid => {}
        TokenState::Missing => return refuse(41001, "access_token missing"),
        TokenState::Unknown => return refuse(40001, "invalid credential, access_token is invalid or not latest"),
        TokenState::Expired => return refuse(42001, "access_token expired"),
    }
    let Ok(request) = serde_json::from_slice::<Subscribe>(&body) else {
        return refuse(47001, "data format error");
    };
    if request.template_id.is_empty() {
        return refuse(40037, "invalid template_id");
    }
    if !matches!(request.miniprogram_state.as_deref(), None | Some("formal" | "trial" | "developer")) {
        return refuse(47003, "argument invalid! miniprogram_state invalid");
    }
    // "data" read in the order sent: {"name": {"value": "…"}}.
    let leaf = |v: Value| v.get("value").and_then(Value::as_str).map(str::to_string);
    let data = request.data.as_ref().map_or("{}", |d| d.get());
    let Some(params) = crate::pairs::read_object(data, leaf) else {
        return refuse(47003, "argument invalid! data.value invalid");
    };
    let fault = shared.fault(&request.touser);
    match fault {
        Some(Fault::ServerError) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Some(Fault::Quota) => return refuse(45009, "reach max api daily quota limit"),
        Some(Fault::Throttle) => return refuse(45011, "api minute-quota reach limit  mustslower  retry next minute"),
        Some(Fault::Refused) => return refuse(43101, "user refuse to accept the msg"),
        Some(Fault::InvalidRecipient) => return refuse(40003, "invalid openid"),
        Some(Fault::Timeout) | None => {}
    }
    shared.record(Delivered {
        to: request.touser,
        send_key: None,
        template: Some(request.template_id),
        params,
        text: String::new(),
        link: request.page,
        at: chrono::Utc::now(),
    });
    if fault == Some(Fault::Timeout) {
        tokio::time::sleep(HOLD).await;
    }
    axum::Json(json!({"errcode": 0, "errmsg": "ok", "msgid": rand::random::<u32>()})).into_response()
}
