//! Tencent Cloud SMS stand-in: API 3.0 `SendSms`, TC3-HMAC-SHA256 recomputed from the headers
//! and body as received.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::state::{HOLD, Shared, request_id};
use super::{Delivered, Fault};
use crate::{Secret, TencentSmsConfig};

pub(crate) const SECRET_ID: &str = "AKIDstandin0001";
pub(crate) const SECRET_KEY: &str = "standin-tencent-secret-key";
pub(crate) const SDK_APP_ID: &str = "1400000001";
pub(crate) const SIGN_NAME: &str = "回流测试";

pub(crate) fn config(endpoint: String) -> TencentSmsConfig {
    TencentSmsConfig {
        endpoint,
        secret_id: SECRET_ID.into(),
        secret_key: Secret::new(SECRET_KEY),
        sdk_app_id: SDK_APP_ID.into(),
        sign_name: SIGN_NAME.into(),
        region: "ap-guangzhou".into(),
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/", post(api)).with_state(shared)
}

/// Tencent answers every API error with HTTP 200 and `Response.Error`.
fn error(code: &str, message: &str) -> Response {
    let body = json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id()}});
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The signature check, from the request as it arrived: the headers it names, lower-cased and
/// trimmed, in its order; the body's bytes.
fn verify(headers: &HeaderMap, body: &[u8]) -> Result<(), (&'static str, &'static str)> {
    const FAILED: (&str, &str) = ("AuthFailure.SignatureFailure", "The provided credentials could not be validated.");
    let auth = header(headers, "authorization").ok_or(("AuthFailure.SignatureFailure", "Authorization is missing."))?;
    let rest = auth.strip_prefix("TC3-HMAC-SHA256 ").ok_or(FAILED)?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(FAILED),
        }
    }
    let (credential, signed, signature) = (credential.ok_or(FAILED)?, signed.ok_or(FAILED)?, signature.ok_or(FAILED)?);
    let scope: Vec<&str> = credential.split('/').collect();
    let [id, date, service, "tc3_request"] = scope[..] else { return Err(FAILED) };
    if id != SECRET_ID {
        return Err(("AuthFailure.SecretIdNotFound", "The SecretId is not found."));
    }
    let timestamp: i64 = header(headers, "x-tc-timestamp").and_then(|t| t.parse().ok()).ok_or(FAILED)?;
    if (chrono::Utc::now().timestamp() - timestamp).abs() > 300 {
        return Err(("AuthFailure.SignatureExpire", "Signature expired."));
    }
    let day = chrono::DateTime::from_timestamp(timestamp, 0).ok_or(FAILED)?.format("%Y-%m-%d").to_string();
    let names: Vec<&str> = signed.split(';').collect();
    if date != day || !names.contains(&"content-type") || !names.contains(&"host") {
        return Err(FAILED);
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let value = header(headers, name).ok_or(FAILED)?;
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim().to_lowercase()));
    }
    let request = format!("POST\n/\n\n{canonical_headers}\n{signed}\n{}", hex::encode(Sha256::digest(body)));
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    let key = [date, service, "tc3_request"]
        .iter()
        .fold(format!("TC3{SECRET_KEY}").into_bytes(), |key, part| hmac(&key, part.as_bytes()));
    if hex::encode(hmac(&key, to_sign.as_bytes())) != signature {
        return Err(FAILED);
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendSms {
    phone_number_set: Vec<String>,
    sms_sdk_app_id: String,
    sign_name: String,
    template_id: String,
    #[serde(default)]
    template_param_set: Vec<String>,
    session_context: Option<String>,
}

async fn api(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    shared.begin().await;
    if let Err((code, message)) = verify(&headers, &body) {
        shared.bad_signature();
        return error(code, message);
    }
    if header(&headers, "x-tc-action") != Some("SendSms") {
        return error("InvalidAction", "The action is not found.");
    }
    if header(&headers, "x-tc-version") != Some(crate::tencent_sms::API_VERSION) {
        return error("NoSuchVersion", "The API version does not exist.");
    }
    let Ok(request) = serde_json::from_slice::<SendSms>(&body) else {
        return error("InvalidParameter", "The request body is not valid JSON for SendSms.");
    };
    if request.sms_sdk_app_id != SDK_APP_ID {
        return error("FailedOperation.SmsSdkAppIdVerifyFail", "SdkAppId verification failed.");
    }
    if request.sign_name != SIGN_NAME {
        return error("FailedOperation.SignatureIncorrectOrUnapproved", "The signature is not approved.");
    }
    let [phone] = &request.phone_number_set[..] else {
        return error("InvalidParameterValue.IncorrectPhoneNumber", "One phone number per request here.");
    };
    let fault = shared.fault(phone);
    let status_code = match fault {
        Some(Fault::ServerError) => {
            let body = json!({"Response": {"Error": {"Code": "InternalError", "Message": "内部错误"}, "RequestId": request_id()}});
            return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
        }
        Some(Fault::Quota) => return error("FailedOperation.InsufficientBalanceInSmsPackage", "套餐包余量不足"),
        Some(Fault::Throttle) => "LimitExceeded.PhoneNumberThirtySecondLimit",
        Some(Fault::Refused) => "FailedOperation.PhoneNumberInBlacklist",
        Some(Fault::InvalidRecipient) => "InvalidParameterValue.IncorrectPhoneNumber",
        Some(Fault::Timeout) | None if !valid_mainland(phone) => "InvalidParameterValue.IncorrectPhoneNumber",
        Some(Fault::Timeout) | None => "Ok",
    };
    let serial_no = (status_code == "Ok").then(|| format!("2640:{}", rand::random::<u64>()));
    if serial_no.is_some() {
        shared.record(Delivered {
            to: phone.clone(),
            send_key: request.session_context.clone(),
            template: Some(request.template_id.clone()),
            params: request
                .template_param_set
                .iter()
                .enumerate()
                .map(|(i, v)| ((i + 1).to_string(), v.clone()))
                .collect(),
            text: String::new(),
            link: None,
            at: chrono::Utc::now(),
        });
    }
    if fault == Some(Fault::Timeout) {
        tokio::time::sleep(HOLD).await;
    }
    let body = json!({"Response": {
        "SendStatusSet": [{
            "SerialNo": serial_no.unwrap_or_default(),
            "PhoneNumber": phone,
            "Fee": if status_code == "Ok" { 1 } else { 0 },
            "SessionContext": request.session_context.unwrap_or_default(),
            "Code": status_code,
            "Message": if status_code == "Ok" { "send success" } else { status_code },
            "IsoCode": "CN",
        }],
        "RequestId": request_id(),
    }});
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// E.164 mainland mobiles; the stand-in sends nowhere else.
fn valid_mainland(phone: &str) -> bool {
    phone
        .strip_prefix("+86")
        .is_some_and(|n| n.len() == 11 && n.starts_with('1') && n.bytes().all(|b| b.is_ascii_digit()))
}
