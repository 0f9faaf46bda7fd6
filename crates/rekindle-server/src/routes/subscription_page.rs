//! The answer page of a subscription shipment (docs/subscriptions.md, "The link"): `GET
//! /s/{token}` shows what ships when, with 确认 / 跳过 / 暂停 / 改期; `POST /s/{token}` does it.
//! No login: the token, signed by this deployment, names the workspace, the subscription and
//! the shipment. The form answers in a page; a JSON body (`{"action": "skip"}`, `{"action":
//! "reschedule", "to": "2027-01-10"}`) in JSON. Every refusal is told in Chinese.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use rekindle_core::subscription::{Action, ShipmentStatus, Status};
use rekindle_engine::subscription::Claim;
use rekindle_store::Source;
use serde::Deserialize;

use crate::error::{ApiError, ErrorCode};
use crate::routes::api::Lang;
use crate::routes::api::subscriptions::{Acted, Frame, apply};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/s/{token}", get(page).post(answer))
}

/// Longest body read.
const MAX_BODY: usize = 4096;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
         <title>{t}</title><style>body{{font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;\
         max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}}button{{font-size:1rem;padding:.6rem 1rem;\
         margin:.3rem .3rem .3rem 0;border-radius:.4rem;border:1px solid #ccc;background:#fff}}\
         button.main{{background:#e4572e;color:#fff;border-color:#e4572e}}.note{{color:#666;font-size:.9rem}}\
         .err{{color:#b00020}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    )
}

fn told(status: StatusCode, title: &str, text: &str) -> Response {
    (status, Html(shell(title, &format!("<p class=\"err\">{}</p>", escape(text))))).into_response()
}

/// The claim a token makes, by the engine's clock.
fn claim(state: &AppState, token: &str) -> Result<Claim, ApiError> {
    state
        .subscriptions
        .links()
        .read(token, state.engine.now())
        .map_err(|e| ApiError::field(ErrorCode::InvalidField, "token", e.zh()))
}

async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match render(&state, &token, None).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => told(e.code.status(), "定期购", &e.message),
    }
}

/// The page of the shipment a token names, with `note` (what was just done) above it.
async fn render(state: &AppState, token: &str, note: Option<&str>) -> Result<String, ApiError> {
    let c = claim(state, token)?;
    let f = Frame::of(state, c.ws).await?;
    let found = state.subscriptions.look(c.ws, |b| b.subscriptions.get(&c.subscription_id).cloned()).await?;
    let Some(sub) = found else {
        return Err(ApiError::field(ErrorCode::NotFound, "token", "没有找到这个定期购"));
    };
    let horizon = c.ship_on.checked_add_days(chrono::Days::new(400)).unwrap_or(c.ship_on);
    let tl = rekindle_core::subscription::timeline(&sub, &f.settings, f.tz, horizon);
    let terms = tl.terms.clone().ok_or_else(|| ApiError::field(ErrorCode::NotFound, "token", "没有找到这个定期购"))?;
    let names = state.store.products(c.ws).await?;
    let product = names.iter().find(|p| p.sku == terms.sku).map_or(terms.sku.clone(), |p| p.name.clone());
    let shipment = tl.shipment_on(c.ship_on);
    let cutoff = f.settings.cutoff(shipment.map_or(c.ship_on, |s| s.ship_on), f.tz).with_timezone(&f.tz);
    let state_words = match (tl.status(), shipment.map(|s| s.status(&f.settings, f.tz, f.now))) {
        (Some(Status::Cancelled), _) => "定期购已取消".to_owned(),
        (Some(Status::Paused), _) => "定期购已暂停".to_owned(),
        (_, Some(ShipmentStatus::Confirmed)) => "已确认发货".to_owned(),
        (_, Some(ShipmentStatus::Skipped)) => "本次已跳过".to_owned(),
        (_, Some(ShipmentStatus::NoAnswer)) => "已过确认截止时间".to_owned(),
        (_, Some(_)) => format!("请在 {} 前确认", cutoff.format("%-m月%-d日 %H:%M")),
        (_, None) => "这次发货已不在计划中".to_owned(),
    };
    let ship_on = shipment.map_or(c.ship_on, |s| s.ship_on);
    let quantity = shipment.map_or(terms.quantity, |s| s.quantity);
    let t = escape(token);
    let mut body = String::new();
    if let Some(n) = note {
        body.push_str(&format!("<p><strong>{}</strong></p>", escape(n)));
    }
    body.push_str(&format!(
        "<p>{product} × {quantity}<br>发货日期：{ship_on}</p><p class=\"note\">{state_words}</p>\
         <form method=\"post\" action=\"/s/{t}\">\
         <button class=\"main\" name=\"action\" value=\"confirm\">确认</button>\
         <button name=\"action\" value=\"skip\">跳过</button>\
         <button name=\"action\" value=\"pause\">暂停</button></form>\
         <form method=\"post\" action=\"/s/{t}\"><input type=\"hidden\" name=\"action\" value=\"reschedule\">\
         <label>改期到 <input type=\"date\" name=\"to\" required></label> <button>改期</button></form>",
        product = escape(&product),
    ));
    Ok(shell("定期购发货确认", &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    action: String,
    to: Option<String>,
}

fn read_form(body: &[u8]) -> Result<Answer, ApiError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ApiError::field(ErrorCode::InvalidField, "body", "不是有效的表单"))?;
    let mut action = None;
    let mut to = None;
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned();
        match k {
            "action" => action = Some(v),
            "to" => to = Some(v).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    let action = action.ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "action", "请选择操作"))?;
    Ok(Answer { action, to })
}

fn action_of(a: &Answer, ship_on: NaiveDate) -> Result<(Action, &'static str), ApiError> {
    Ok(match a.action.as_str() {
        "confirm" => (Action::Confirm { ship_on }, "已确认，我们会按时发货"),
        "skip" => (Action::Skip { ship_on }, "已跳过这一次，下次照常"),
        "pause" => (Action::Pause {}, "定期购已暂停"),
        "reschedule" => {
            let to =
                a.to.as_deref().ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "to", "请选择新的发货日期"))?;
            let to = to
                .trim()
                .parse()
                .map_err(|_| ApiError::field(ErrorCode::InvalidField, "to", "日期格式应为 YYYY-MM-DD"))?;
            (Action::Reschedule { ship_on, to }, "已改期")
        }
        _ => {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "action",
                "操作应为 confirm、skip、pause 或 reschedule",
            ));
        }
    })
}

async fn answer(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let done = answered(&state, &token, form, &body).await;
    match (done, form) {
        (Ok(note), true) => match render(&state, &token, Some(note)).await {
            Ok(html) => Html(html).into_response(),
            Err(e) => told(e.code.status(), "定期购", &e.message),
        },
        (Ok(note), false) => axum::Json(serde_json::json!({"ok": true, "message": note})).into_response(),
        (Err(e), true) => {
            let back = format!("<p><a href=\"/s/{}\">返回</a></p>", escape(&token));
            let html = shell("定期购", &format!("<p class=\"err\">{}</p>{back}", escape(&e.message)));
            (e.code.status(), Html(html)).into_response()
        }
        (Err(e), false) => e.into_response(),
    }
}

async fn answered(state: &AppState, token: &str, form: bool, body: &[u8]) -> Result<&'static str, ApiError> {
    let c = claim(state, token)?;
    if body.len() > MAX_BODY {
        return Err(ApiError::field(ErrorCode::PayloadTooLarge, "body", "内容过长"));
    }
    let a = if form {
        read_form(body)?
    } else {
        serde_json::from_slice::<Answer>(body)
            .map_err(|e| ApiError::field(ErrorCode::InvalidField, "body", e.to_string()))?
    };
    let (action, note) = action_of(&a, c.ship_on)?;
    match apply(state, c.ws, &c.subscription_id, &action, Source("link".into()), Lang::Zh).await? {
        Acted::Appended(_) => Ok(note),
        Acted::AlreadySo => Ok("已经是这样了，无需重复操作"),
    }
}
