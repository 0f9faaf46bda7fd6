//! Aliyun SMS: `SendSms` (API version 2017-05-25) in the RPC style, form-encoded POST signed
//! with signature v1 ([`sign`]).

mod codes;
pub mod sign;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;

use crate::error::Class;
use crate::{
    AliyunSmsConfig, Channel, ChannelKind, ConfigError, FailureKind, Outgoing, Receipt, SendError, http, pairs,
};

pub const API_VERSION: &str = "2017-05-25";

#[derive(Debug)]
pub struct AliyunSms {
    http: reqwest::Client,
    endpoint: Url,
    config: AliyunSmsConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: String,
    #[serde(default)]
    message: String,
    biz_id: Option<String>,
}

impl AliyunSms {
    pub fn new(config: &AliyunSmsConfig, timeout: Duration) -> Result<Self, ConfigError> {
        Self::with_http(config, http::client(timeout)?)
    }

    pub(crate) fn with_http(config: &AliyunSmsConfig, http: reqwest::Client) -> Result<Self, ConfigError> {
        let endpoint = http::base_url("aliyun_sms.endpoint", &config.endpoint)?;
        for (field, value) in
            [("aliyun_sms.access_key_id", &config.access_key_id), ("aliyun_sms.sign_name", &config.sign_name)]
        {
            if value.trim().is_empty() {
                return Err(ConfigError::Missing { field });
            }
        }
        Ok(Self { http, endpoint, config: config.clone() })
    }

    /// The signed parameters of one SendSms call, Signature included.
    fn parameters(&self, out: &Outgoing, phone: String, template: &str) -> BTreeMap<String, String> {
        let mut p: BTreeMap<String, String> = [
            ("AccessKeyId", self.config.access_key_id.clone()),
            ("Action", "SendSms".into()),
            ("Format", "JSON".into()),
            ("OutId", out.send_key.clone()),
            ("PhoneNumbers", phone),
            ("RegionId", "cn-hangzhou".into()),
            ("SignName", self.config.sign_name.clone()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", hex::encode(rand::random::<[u8; 16]>())),
            ("SignatureVersion", "1.0".into()),
            ("TemplateCode", template.into()),
            ("Timestamp", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ("Version", API_VERSION.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if !out.params.is_empty() {
            let json = serde_json::to_string(&pairs::Object(&out.params)).expect("strings serialise");
            p.insert("TemplateParam".into(), json);
        }
        let signature = sign::signature(self.config.access_key_secret.expose(), "POST", &p);
        p.insert("Signature".into(), signature);
        p
    }
}

/// Domestic numbers go without the country code, international ones as digits after it.
#[async_trait::async_trait]
impl Channel for AliyunSms {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    fn provider(&self) -> &'static str {
        "aliyun_sms"
    }

    fn deduplicates(&self) -> bool {
        false
    }

    async fn send(&self, out: &Outgoing) -> Result<Receipt, SendError> {
        let template = out.template.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| {
            SendError::rejected(FailureKind::Misconfigured, "missing_template", "Aliyun SMS needs a TemplateCode")
        })?;
        let phone = rekindle_core::phone::local_digits(&crate::recipient::sms_number(&out.to)?).to_owned();
        let body = sign::canonicalized_query(&self.parameters(out, phone, template));
        let request = self
            .http
            .post(http::join(&self.endpoint, "/"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8")
            .body(body);
        let answer = http::fetch(request).await?;
        let Ok(reply) = serde_json::from_slice::<Answer>(&answer.body) else {
            return Err(http::unreadable(&answer));
        };
        if reply.code == "OK" && answer.status.is_success() {
            return Ok(Receipt { provider_message_id: reply.biz_id, awaiting_confirmation: false });
        }
        let (class, kind) = codes::classify(&reply.code);
        let class = if answer.status.is_server_error() { Class::Uncertain } else { class };
        tracing::debug!(message = "aliyun sms refused", code = %reply.code, send_key = %out.send_key);
        Err(class.error(kind, reply.code, reply.message))
    }
}
