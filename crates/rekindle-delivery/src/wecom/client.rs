//! The WeCom API calls Rekindle makes: mass-send tasks, their results, welcome messages, and
//! 微信客服 messages pulled after a callback.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::attachment::{Attachment, Link};
use super::callback::WecomCrypto;
use super::codes;
use super::jsapi::AgentSigner;
use super::kf::{self, KfPage};
use super::media::MediaCache;
use super::send_result::{self, MassSendStatus, Target};
use super::task;
use crate::clock::{Clock, SystemClock};
use crate::wechat::{TokenSource, WechatApi};
use crate::{Channel, ChannelKind, ConfigError, FailureKind, Outgoing, Receipt, SendError, WecomConfig, http};

/// A WeCom self-built app with the customer-contact permission.
#[derive(Debug)]
pub struct WecomClient {
    pub(super) api: WechatApi,
    crypto: WecomCrypto,
    /// Uploaded media ids, reused while WeCom keeps them.
    pub(super) media: MediaCache,
    /// The corp and AgentId `wx.agentConfig` is signed for, and the cached application ticket.
    pub(super) agent: AgentSigner,
}

/// The most messages `kf/sync_msg` returns in one answer (and its default).
pub const KF_SYNC_LIMIT: u32 = 1000;

impl WecomClient {
    pub fn new(config: &WecomConfig, timeout: Duration) -> Result<Self, ConfigError> {
        Self::with_http(config, http::client(timeout)?)
    }

    pub(crate) fn with_http(config: &WecomConfig, http: reqwest::Client) -> Result<Self, ConfigError> {
        let base = http::base_url("wecom.api_base", &config.api_base)?;
        if config.corp_id.trim().is_empty() {
            return Err(ConfigError::Missing { field: "wecom.corp_id" });
        }
        let crypto =
            WecomCrypto::new(config.callback_token.expose(), config.encoding_aes_key.expose(), &config.corp_id)
                .map_err(|e| ConfigError::Invalid { field: "wecom.encoding_aes_key", reason: e.to_string() })?;
        let source = TokenSource::Wecom { corp_id: config.corp_id.clone(), secret: config.secret.clone() };
        let media = MediaCache::new(Arc::new(SystemClock));
        let agent = AgentSigner::new(config);
        Ok(Self { api: WechatApi::new(http, base, source, codes::classify), crypto, media, agent })
    }

    /// The same client reading time from `clock` for media-id reuse (tests jump days ahead).
    /// Uploads cached so far are forgotten.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.media = MediaCache::new(clock);
        self
    }

    /// The callback URL's crypto, for the server's callback endpoint.
    pub fn crypto(&self) -> &WecomCrypto {
        &self.crypto
    }

    /// The welcome message for a customer who just added a staff member; `welcome_code` comes
    /// from the callback and is valid for 20 seconds.
    pub async fn send_welcome(&self, welcome_code: &str, text: &str) -> Result<(), SendError> {
        let body = json!({"welcome_code": welcome_code, "text": {"content": text}});
        self.api.post("cgi-bin/externalcontact/send_welcome_msg", &body).await?;
        Ok(())
    }

    /// Each customer's state in the mass send `msgid` assigned to `sender`.
    pub async fn mass_send_state(&self, msgid: &str, sender: &str) -> Result<Vec<(String, MassSendStatus)>, SendError> {
        send_result::read(&self.api, msgid, sender, Target::Customer).await
    }

    /// One page of 微信客服 messages (`kf/sync_msg`): those after `cursor`, the previous page's
    /// `next_cursor` (without one WeCom starts at the oldest of the last 3 days). `token` is the
    /// `kf_msg_or_event` callback's, valid 10 minutes; without it WeCom limits calls strictly.
    /// `open_kfid` narrows the pull to one 微信客服 account ("" for every account the app may
    /// read); `limit` is at most [`KF_SYNC_LIMIT`].
    pub async fn kf_sync_msg(
        &self,
        cursor: Option<&str>,
        token: Option<&str>,
        open_kfid: &str,
        limit: u32,
    ) -> Result<KfPage, SendError> {
        let mut body = json!({"limit": limit.clamp(1, KF_SYNC_LIMIT), "voice_format": 0});
        if let Some(cursor) = cursor.filter(|c| !c.is_empty()) {
            body["cursor"] = json!(cursor);
        }
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            body["token"] = json!(token);
        }
        if !open_kfid.is_empty() {
            body["open_kfid"] = json!(open_kfid);
        }
        let reply = self.api.post("cgi-bin/kf/sync_msg", &body).await?;
        kf::read_page(reply)
            .map_err(|e| SendError::uncertain(FailureKind::ProviderError, "unreadable", format!("kf sync_msg: {e}")))
    }
}

#[async_trait::async_trait]
impl Channel for WecomClient {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Wecom
    }

    fn provider(&self) -> &'static str {
        "wecom"
    }

    fn deduplicates(&self) -> bool {
        false
    }

    /// A mass-send task to one customer, with the message's attachments (and its `link` as a
    /// link card after them); it goes out when the staff member confirms it.
    async fn send(&self, out: &Outgoing) -> Result<Receipt, SendError> {
        let mut body = json!({"chat_type": "single", "external_userid": [out.to]});
        if let Some(sender) = &out.sender {
            body["sender"] = json!(sender);
        }
        let mut attachments = out.attachments.clone();
        if let Some(url) = &out.link {
            let title = link_title(&out.text, url);
            attachments.push(Attachment::Link(Link { title, url: url.clone(), desc: None, picurl: None }));
        }
        let reply = task::create(&self.api, &self.media, body, &out.text, &attachments).await?;
        let refused = reply["fail_list"].as_array().is_some_and(|list| list.iter().any(|id| id == &json!(out.to)));
        if refused {
            // WeCom lists customers it will not send to: not (or no longer) the sender's friend.
            return Err(SendError::rejected(
                FailureKind::UserRefused,
                "fail_list",
                "the customer cannot receive from this sender (not a friend)",
            ));
        }
        task::receipt(&reply)
    }
}

/// A link attachment needs a title: the text's first line, shortened, or the URL itself.
fn link_title(text: &str, url: &str) -> String {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(url);
    let mut title: String = first.chars().take(40).collect();
    if first.chars().count() > 40 {
        title.push('…');
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_titles_come_from_the_text() {
        assert_eq!(link_title("\n 今日鲜果到店 \n第二行", "https://x"), "今日鲜果到店");
        assert_eq!(link_title("", "https://x"), "https://x");
        assert_eq!(link_title(&"长".repeat(50), "u").chars().count(), 41);
    }
}
