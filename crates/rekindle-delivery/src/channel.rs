//! What a channel is asked to send, what it answers, and the trait every provider implements.

use serde::{Deserialize, Serialize};

use crate::SendError;
use crate::wecom::Attachment;

/// The kinds of channel are the domain's: caps and consent are kept per kind.
pub use rekindle_core::outreach::ChannelKind;

/// One message for one person on one channel, already rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Unique per message and stable across retries: the key providers that can de-duplicate
    /// (webhooks) use, and the one SMS providers echo back in delivery reports.
    pub send_key: String,
    pub channel: ChannelKind,
    /// Phone (11-digit mainland or `+86…`), openid, WeCom external_userid, or a person id for
    /// webhooks.
    pub to: String,
    /// WeCom: the staff member's userid that sends (`add_msg_template` "sender").
    pub sender: Option<String>,
    /// Aliyun TemplateCode, Tencent TemplateId or mini-program template_id.
    pub template: Option<String>,
    /// Named template parameters, in template order (Tencent's are positional).
    pub params: Vec<(String, String)>,
    /// Rendered text: WeCom text content, the webhook's "text".
    pub text: String,
    /// Mini-program page; WeCom link attachment; the webhook's "link".
    pub link: Option<String>,
    /// Extra JSON passed through in the webhook body.
    pub context: serde_json::Value,
    /// WeCom: images, videos, files, link and mini-program cards (at most 9 with `link`).
    /// Other channels ignore them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// The provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Aliyun BizId, Tencent SerialNo, WeCom msgid, mini-program msgid: what delivery reports
    /// and status queries refer to.
    pub provider_message_id: Option<String>,
    /// Accepted but not yet sent: a WeCom mass send waits for the staff member to confirm it.
    pub awaiting_confirmation: bool,
}

/// A provider that carries messages of one [`ChannelKind`].
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    fn kind(&self) -> ChannelKind;
    /// A stable name for logs and metrics: "aliyun_sms", "tencent_sms", "wecom", "miniprogram",
    /// "webhook".
    fn provider(&self) -> &'static str;
    /// Whether sending the same `send_key` twice reaches the person once. Only then may an
    /// [`SendError::Uncertain`] send be retried.
    fn deduplicates(&self) -> bool;
    async fn send(&self, out: &Outgoing) -> Result<Receipt, SendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.as_str().parse::<ChannelKind>(), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
        }
        assert!("email".parse::<ChannelKind>().is_err());
    }
}
