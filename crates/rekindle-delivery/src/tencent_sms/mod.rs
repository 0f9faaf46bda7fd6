//! Tencent Cloud SMS: `SendSms` (API version 2021-01-11), a JSON POST signed with
//! TC3-HMAC-SHA256 ([`sign`]).

mod codes;
pub mod sign;

use std::time::Duration;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::json;

use crate::error::Class;
use crate::{Channel, ChannelKind, ConfigError, FailureKind, Outgoing, Receipt, SendError, TencentSmsConfig, http};

pub const API_VERSION: &str = "2021-01-11";
/// The credential scope's service: the product, whatever host the endpoint has.
pub const SERVICE: &str = "sms";
pub const CONTENT_TYPE_JSON: &str = "application/json; charset=utf-8";

#[derive(Debug)]
pub struct TencentSms {
    http: reqwest::Client,
    endpoint: Url,
    /// What the Host header will be, which the signature covers.
    host: String,
    config: TencentSmsConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    response: Body,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Body {
    error: Option<Failure>,
    #[serde(default)]
    send_status_set: Vec<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Failure {
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Status {
    code: String,
    #[serde(default)]
    message: String,
    serial_no: Option<String>,
}

impl TencentSms {
    pub fn new(config: &TencentSmsConfig, timeout: Duration) -> Result<Self, ConfigError> {
        Self::with_http(config, http::client(timeout)?)
    }

    pub(crate) fn with_http(config: &TencentSmsConfig, http: reqwest::Client) -> Result<Self, ConfigError> {
        let endpoint = http::base_url("tencent_sms.endpoint", &config.endpoint)?;
        for (field, value) in [
            ("tencent_sms.secret_id", &config.secret_id),
            ("tencent_sms.sdk_app_id", &config.sdk_app_id),
            ("tencent_sms.sign_name", &config.sign_name),
            ("tencent_sms.region", &config.region),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::Missing { field });
            }
        }
        let host = match endpoint.port() {
            Some(port) => format!("{}:{port}", endpoint.host_str().unwrap_or_default()),
            None => endpoint.host_str().unwrap_or_default().to_string(),
        };
        Ok(Self { http, endpoint, host, config: config.clone() })
    }
}

#[async_trait::async_trait]
impl Channel for TencentSms {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    fn provider(&self) -> &'static str {
        "tencent_sms"
    }

    fn deduplicates(&self) -> bool {
        false
    }

    async fn send(&self, out: &Outgoing) -> Result<Receipt, SendError> {
        let template = out.template.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| {
            SendError::rejected(FailureKind::Misconfigured, "missing_template", "Tencent SMS needs a TemplateId")
        })?;
        let phone = crate::recipient::sms_number(&out.to)?;
        let body = serde_json::to_vec(&json!({
            "PhoneNumberSet": [phone],
            "SmsSdkAppId": self.config.sdk_app_id,
            "SignName": self.config.sign_name,
            "TemplateId": template,
            "TemplateParamSet": out.params.iter().map(|(_, v)| v).collect::<Vec<_>>(),
            "SessionContext": out.send_key,
        }))
        .expect("JSON values serialise");
        let timestamp = chrono::Utc::now().timestamp();
        let authorization = sign::authorization(
            &self.config.secret_id,
            self.config.secret_key.expose(),
            SERVICE,
            CONTENT_TYPE_JSON,
            &self.host,
            &body,
            timestamp,
        );
        let request = self
            .http
            .post(http::join(&self.endpoint, "/"))
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_TYPE, CONTENT_TYPE_JSON)
            .header("X-TC-Action", "SendSms")
            .header("X-TC-Version", API_VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.config.region)
            .body(body);
        let answer = http::fetch(request).await?;
        let Ok(Envelope { response }) = serde_json::from_slice::<Envelope>(&answer.body) else {
            return Err(http::unreadable(&answer));
        };
        let (code, message) = match (response.error, response.send_status_set.into_iter().next()) {
            (Some(failure), _) => (failure.code, failure.message),
            (None, Some(status)) if status.code == "Ok" && answer.status.is_success() => {
                return Ok(Receipt { provider_message_id: status.serial_no, awaiting_confirmation: false });
            }
            (None, Some(status)) => (status.code, status.message),
            (None, None) => return Err(http::unreadable(&answer)),
        };
        let (class, kind) = codes::classify(&code);
        let class = if answer.status.is_server_error() { Class::Uncertain } else { class };
        tracing::debug!(message = "tencent sms refused", code = %code, send_key = %out.send_key);
        let retry_after = codes::retry_after(&code);
        Err(class.error(kind, code, message).with_retry_after(retry_after))
    }
}
