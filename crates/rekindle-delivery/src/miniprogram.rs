//! Mini-program subscribe messages (`subscribeMessage.send`): each time a person accepts a
//! template in the mini-program, one message of it may be sent to them.

use std::time::Duration;

use serde::Serialize;

use crate::FailureKind::{self, *};
use crate::error::Class::{self, *};
use crate::wechat::{TokenSource, WechatApi};
use crate::{Channel, ChannelKind, ConfigError, MiniProgramConfig, Outgoing, Receipt, SendError, http, pairs};

pub const STATES: [&str; 3] = ["formal", "trial", "developer"];

#[derive(Debug)]
pub struct MiniProgram {
    api: WechatApi,
    state: String,
}

#[derive(Serialize)]
struct Subscribe<'a> {
    touser: &'a str,
    template_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<&'a str>,
    data: pairs::Values<'a>,
    miniprogram_state: &'a str,
    lang: &'static str,
}

impl MiniProgram {
    pub fn new(config: &MiniProgramConfig, timeout: Duration) -> Result<Self, ConfigError> {
        Self::with_http(config, http::client(timeout)?)
    }

    pub(crate) fn with_http(config: &MiniProgramConfig, http: reqwest::Client) -> Result<Self, ConfigError> {
        let base = http::base_url("miniprogram.api_base", &config.api_base)?;
        if config.app_id.trim().is_empty() {
            return Err(ConfigError::Missing { field: "miniprogram.app_id" });
        }
        if !STATES.contains(&config.state.as_str()) {
            return Err(ConfigError::Invalid {
                field: "miniprogram.state",
                reason: "must be formal, trial or developer".into(),
            });
        }
        let source = TokenSource::MiniProgram { app_id: config.app_id.clone(), secret: config.app_secret.clone() };
        Ok(Self { api: WechatApi::new(http, base, source, classify), state: config.state.clone() })
    }
}

/// WeChat `errcode`s of the token and subscribe-message APIs.
fn classify(errcode: i64) -> (Class, FailureKind) {
    match errcode {
        // System busy: refused before anything happened.
        -1 => (Retryable, ProviderError),
        // Per-minute API frequency.
        45011 => (Retryable, Throttled),
        // The daily API quota.
        45009 => (Rejected, QuotaExhausted),
        // The person has no unused acceptance of this template.
        43101 => (Rejected, NotSubscribed),
        // Not an openid of this mini-program.
        40003 => (Rejected, InvalidRecipient),
        // The data does not fit the template.
        47003 => (Rejected, ContentRejected),
        // Template, page, grant type.
        40037 | 41030 | 40002 => (Rejected, Misconfigured),
        // Credentials, token, IP allow-list, permission.
        40001 | 40013 | 40014 | 40125 | 40164 | 41001 | 42001 | 48001 => (Rejected, Unauthorized),
        _ => (Rejected, ProviderError),
    }
}

#[async_trait::async_trait]
impl Channel for MiniProgram {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Miniprogram
    }

    fn provider(&self) -> &'static str {
        "miniprogram"
    }

    fn deduplicates(&self) -> bool {
        false
    }

    async fn send(&self, out: &Outgoing) -> Result<Receipt, SendError> {
        let template_id = out.template.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| {
            SendError::rejected(Misconfigured, "missing_template", "a subscribe message needs a template_id")
        })?;
        let body = Subscribe {
            touser: &out.to,
            template_id,
            page: out.link.as_deref(),
            data: pairs::Values(&out.params),
            miniprogram_state: &self.state,
            lang: "zh_CN",
        };
        let reply = self.api.post("cgi-bin/message/subscribe/send", &body).await?;
        let msgid = match &reply["msgid"] {
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        Ok(Receipt { provider_message_id: msgid, awaiting_confirmation: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_codes_map_as_intended() {
        assert_eq!(classify(43101), (Rejected, NotSubscribed));
        assert_eq!(classify(40003), (Rejected, InvalidRecipient));
        assert_eq!(classify(47003), (Rejected, ContentRejected));
        assert_eq!(classify(45009), (Rejected, QuotaExhausted));
        assert_eq!(classify(-1), (Retryable, ProviderError));
        assert_eq!(classify(40125), (Rejected, Unauthorized));
    }

    #[test]
    fn the_body_keeps_the_template_order() {
        let params = vec![("thing1".to_string(), "草莓".to_string()), ("amount2".to_string(), "¥9.9".to_string())];
        let body = Subscribe {
            touser: "oAbc",
            template_id: "T1",
            page: None,
            data: pairs::Values(&params),
            miniprogram_state: "formal",
            lang: "zh_CN",
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"touser":"oAbc","template_id":"T1","data":{"thing1":{"value":"草莓"},"amount2":{"value":"¥9.9"}},"miniprogram_state":"formal","lang":"zh_CN"}"#
        );
    }
}
