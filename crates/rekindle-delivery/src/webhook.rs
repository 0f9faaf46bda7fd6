//! A signed POST to the operator's own system, which does the sending.
//!
//! Body: `{send_key, to, text, link, params, context, sent_at}`. Headers: `Idempotency-Key`
//! (the send key: receivers de-duplicate by it, which makes retries after a timeout safe),
//! `X-Rekindle-Timestamp` (Unix seconds) and `X-Rekindle-Signature: v1=<hex>`, the
//! HMAC-SHA256 with the shared secret of `"{timestamp}.{raw body}"`. Receivers check it with
//! [`verify_webhook_signature`] and should refuse timestamps more than a few minutes old.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use serde::Serialize;
use sha2::Sha256;

use crate::FailureKind::*;
use crate::{Channel, ChannelKind, ConfigError, Outgoing, Receipt, Secret, SendError, WebhookConfig, http, pairs};

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const TIMESTAMP_HEADER: &str = "X-Rekindle-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Rekindle-Signature";

#[derive(Debug)]
pub struct Webhook {
    http: reqwest::Client,
    url: Url,
    secret: Secret,
}

#[derive(Serialize)]
struct Body<'a> {
    send_key: &'a str,
    to: &'a str,
    text: &'a str,
    link: Option<&'a str>,
    params: pairs::Object<'a>,
    context: &'a serde_json::Value,
    sent_at: String,
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Rekindle-Signature` value for this timestamp and body.
pub fn signature_header(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Whether `header` carries a valid signature of `body` at `timestamp`. Several comma-separated
/// `v1=` values are allowed, for rotating the secret; the comparison takes constant time.
pub fn verify_webhook_signature(secret: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    header.split(',').filter_map(|part| part.trim().strip_prefix("v1=")).any(|candidate| {
        hex::decode(candidate).is_ok_and(|bytes| mac(secret, timestamp, body).verify_slice(&bytes).is_ok())
    })
}

impl Webhook {
    pub fn new(config: &WebhookConfig, timeout: Duration) -> Result<Self, ConfigError> {
        Self::with_http(config, http::client(timeout)?)
    }

    pub(crate) fn with_http(config: &WebhookConfig, http: reqwest::Client) -> Result<Self, ConfigError> {
        let url = http::base_url("webhook.url", &config.url)?;
        if config.secret.expose().is_empty() {
            return Err(ConfigError::Missing { field: "webhook.secret" });
        }
        Ok(Self { http, url, secret: config.secret.clone() })
    }
}

#[async_trait::async_trait]
impl Channel for Webhook {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Webhook
    }

    fn provider(&self) -> &'static str {
        "webhook"
    }

    fn deduplicates(&self) -> bool {
        true
    }

    async fn send(&self, out: &Outgoing) -> Result<Receipt, SendError> {
        let now = chrono::Utc::now();
        let body = serde_json::to_vec(&Body {
            send_key: &out.send_key,
            to: &out.to,
            text: &out.text,
            link: out.link.as_deref(),
            params: pairs::Object(&out.params),
            context: &out.context,
            sent_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .expect("JSON values serialise");
        let timestamp = now.timestamp().to_string();
        let request = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_KEY, &out.send_key)
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(SIGNATURE_HEADER, signature_header(self.secret.expose(), &timestamp, &body))
            .body(body);
        let answer = http::fetch(request).await?;
        let status = answer.status;
        if status.is_success() {
            return Ok(Receipt { provider_message_id: None, awaiting_confirmation: false });
        }
        let code = format!("http_{}", status.as_u16());
        let message: String = String::from_utf8_lossy(&answer.body).chars().take(200).collect();
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => {
                SendError::retryable(Throttled, code, message).with_retry_after(http::retry_after(&answer.headers))
            }
            StatusCode::GONE => SendError::rejected(UserRefused, code, message),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SendError::rejected(Unauthorized, code, message),
            StatusCode::NOT_FOUND => SendError::rejected(InvalidRecipient, code, message),
            StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNPROCESSABLE_ENTITY => {
                SendError::rejected(ContentRejected, code, message)
            }
            StatusCode::REQUEST_TIMEOUT => SendError::uncertain(Timeout, code, message),
            s if s.is_server_error() => SendError::uncertain(ProviderError, code, message),
            s if s.is_redirection() => SendError::rejected(Misconfigured, code, "the webhook URL redirects"),
            _ => SendError::rejected(ProviderError, code, message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let body = br#"{"send_key":"k1"}"#;
        let header = signature_header("whsec", "1700000000", body);
        assert!(header.starts_with("v1=") && header.len() == 3 + 64);
        assert!(verify_webhook_signature("whsec", "1700000000", body, &header));
        assert!(verify_webhook_signature("whsec", "1700000000", body, &format!("v1=00, {header}")));
        assert!(!verify_webhook_signature("whsec", "1700000001", body, &header));
        assert!(!verify_webhook_signature("other", "1700000000", body, &header));
        assert!(!verify_webhook_signature("whsec", "1700000000", br#"{"send_key":"k2"}"#, &header));
        assert!(!verify_webhook_signature("whsec", "1700000000", body, "v1=zz"));
    }

    /// The value Python's `hmac` computes for the same secret and framing.
    #[test]
    fn matches_an_independent_implementation() {
        assert_eq!(
            signature_header("whsec", "1700000000", br#"{"send_key":"k1"}"#),
            "v1=be42c1fcbe051a8f90f09f6205332d361ec7c9b1cbea4a65a57c53ef5fc1a24d"
        );
    }
}
