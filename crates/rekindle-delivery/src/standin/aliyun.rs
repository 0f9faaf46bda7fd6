//! Aliyun SMS (dysmsapi) stand-in: RPC `SendSms`, signature v1 re-derived from the received
//! parameters.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha1::Sha1;

use super::state::{HOLD, Shared, request_id};
use super::{Delivered, Fault};
use crate::{AliyunSmsConfig, Secret};

pub(crate) const ACCESS_KEY_ID: &str = "LTAIstandin0001";
pub(crate) const ACCESS_KEY_SECRET: &str = "standin-aliyun-secret";
pub(crate) const SIGN_NAME: &str = "回流测试";

pub(crate) fn config(endpoint: String) -> AliyunSmsConfig {
    AliyunSmsConfig {
        endpoint,
        access_key_id: ACCESS_KEY_ID.into(),
        access_key_secret: Secret::new(ACCESS_KEY_SECRET),
        sign_name: SIGN_NAME.into(),
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/", any(send_sms)).with_state(shared)
}

fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"RequestId": request_id(), "Code": code, "Message": message});
    (status, axum::Json(body)).into_response()
}

/// Aliyun's encoding written the way its documentation derives it — form-encode, then turn
/// `+` into `%20`, `*` into `%2A` and `%7E` back into `~` — rather than as the client does it.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
        .replace('*', "%2A")
        .replace("%7E", "~")
}

fn expected_signature(method: &Method, params: &BTreeMap<String, String>) -> String {
    let canonical: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    let to_sign = format!("{}&%2F&{}", method.as_str(), encode(&canonical.join("&")));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{ACCESS_KEY_SECRET}&").as_bytes()).expect("any key");
    mac.update(to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

async fn send_sms(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    shared.begin().await;
    let mut params = BTreeMap::new();
    let pairs =
        form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes()).chain(form_urlencoded::parse(&body));
    for (k, v) in pairs {
        params.insert(k.into_owned(), v.into_owned());
    }
    let Some(signature) = params.remove("Signature") else {
        return answer(StatusCode::BAD_REQUEST, "MissingSignature", "Signature is mandatory for this action.");
    };
    if params.get("AccessKeyId").map(String::as_str) != Some(ACCESS_KEY_ID) {
        shared.bad_signature();
        return answer(StatusCode::NOT_FOUND, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    }
    if params.get("SignatureMethod").map(String::as_str) != Some("HMAC-SHA1")
        || params.get("SignatureVersion").map(String::as_str) != Some("1.0")
        || signature != expected_signature(&method, &params)
    {
        shared.bad_signature();
        return answer(
            StatusCode::BAD_REQUEST,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
    }
    if let Some(refusal) = check_freshness(&shared, &params) {
        return refusal;
    }
    if params.get("Action").map(String::as_str) != Some("SendSms") {
        return answer(StatusCode::BAD_REQUEST, "InvalidAction.NotFound", "Specified api is not found.");
    }
    if params.get("Version").map(String::as_str) != Some(crate::aliyun_sms::API_VERSION) {
        return answer(StatusCode::BAD_REQUEST, "InvalidVersion", "Specified parameter Version is not valid.");
    }
    deliver(&shared, &params).await
}

/// Timestamps within 15 minutes, each nonce once.
fn check_freshness(shared: &Shared, params: &BTreeMap<String, String>) -> Option<Response> {
    let at = params.get("Timestamp").and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let fresh = at.is_some_and(|at| (chrono::Utc::now() - at.to_utc()).num_seconds().abs() <= 900);
    if !fresh {
        return Some(answer(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    let nonce = params.get("SignatureNonce").cloned().unwrap_or_default();
    if nonce.is_empty() || !shared.lock().nonces.insert(nonce) {
        return Some(answer(
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    None
}

async fn deliver(shared: &Shared, params: &BTreeMap<String, String>) -> Response {
    let phone = params.get("PhoneNumbers").cloned().unwrap_or_default();
    let ok_phone = phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    if !ok_phone {
        return answer(StatusCode::OK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    }
    if params.get("SignName").map(String::as_str) != Some(SIGN_NAME) {
        return answer(StatusCode::OK, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名");
    }
    let Some(template) = params.get("TemplateCode").filter(|t| !t.is_empty()) else {
        return answer(StatusCode::BAD_REQUEST, "MissingTemplateCode", "TemplateCode is mandatory for this action.");
    };
    let leaf = |v: serde_json::Value| v.as_str().map(str::to_string);
    let template_params = match params.get("TemplateParam") {
        None => Vec::new(),
        Some(text) => match crate::pairs::read_object(text, leaf) {
            Some(pairs) => pairs,
            None => return answer(StatusCode::OK, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"),
        },
    };
    let fault = shared.fault(&phone);
    let refusal = match fault {
        Some(Fault::ServerError) => return answer(StatusCode::INTERNAL_SERVER_ERROR, "isp.SYSTEM_ERROR", "系统错误"),
        Some(Fault::Quota) => Some(("isv.DAY_LIMIT_CONTROL", "触发日发送限额")),
        Some(Fault::Throttle) => Some(("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")),
        Some(Fault::Refused) => Some(("isv.CUSTOMER_REFUSED", "用户已退订推广短信")),
        Some(Fault::InvalidRecipient) => Some(("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")),
        Some(Fault::Timeout) | None => None,
    };
    if let Some((code, message)) = refusal {
        return answer(StatusCode::OK, code, message);
    }
    shared.record(Delivered {
        to: phone,
        send_key: params.get("OutId").cloned(),
        template: Some(template.clone()),
        params: template_params,
        text: String::new(),
        link: None,
        at: chrono::Utc::now(),
    });
    if fault == Some(Fault::Timeout) {
        tokio::time::sleep(HOLD).await;
    }
    let biz_id = format!("{}^0", rand::random::<u64>() % 1_000_000_000_000_000);
    let body = json!({"RequestId": request_id(), "Code": "OK", "Message": "OK", "BizId": biz_id});
    (StatusCode::OK, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_derivation_agrees_with_the_client_encoder() {
        for value in ["a b*c~d+e/f=g&h", "回流 生鲜", "-_.~", "{\"name\":\"小李\"}"] {
            assert_eq!(encode(value), crate::aliyun_sms::sign::percent_encode(value), "{value}");
        }
    }
}
