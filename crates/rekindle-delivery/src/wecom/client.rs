//! The WeCom API calls Rekindle makes: mass-send tasks, their results, welcome messages, and
//! 微信客服 messages pulled after a callback.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::callback::WecomCrypto;
use super::codes;
use super::kf::{self, KfPage};
use crate::wechat::{TokenSource, WechatApi};
use crate::{Channel, ChannelKind, ConfigError, FailureKind, Outgoing, Receipt, SendError, WecomConfig, http};

/// One customer's state in a mass send, as `get_groupmsg_send_result` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MassSendStatus {
    /// 0: the staff member has not confirmed yet.
    Unsent,
    /// 1: delivered.
    Sent,
    /// 2: not sent, the customer is no longer the staff member's friend.
    NotFriend,
    /// 3: not sent, the customer already received their quota of mass messages.
    ReceivedAlready,
}

impl MassSendStatus {
    fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Unsent,
            1 => Self::Sent,
            2 => Self::NotFriend,
            3 => Self::ReceivedAlready,
            _ => return None,
        })
    }
}

/// A WeCom self-built app with the customer-contact permission.
#[derive(Debug)]
pub struct WecomClient {
    api: WechatApi,
    crypto: WecomCrypto,
}

/// Pages of `get_groupmsg_send_result` read at most: 1000 customers a page.
const MAX_PAGES: usize = 100;

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
        Ok(Self { api: WechatApi::new(http, base, source, codes::classify), crypto })
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
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            next_cursor: String,
            #[serde(default)]
            send_list: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            #[serde(default)]
            external_userid: String,
            status: i64,
        }

        let mut states = Vec::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let body = json!({"msgid": msgid, "userid": sender, "limit": 1000, "cursor": cursor});
            let reply = self.api.post("cgi-bin/externalcontact/get_groupmsg_send_result", &body).await?;
            let page: Page = serde_json::from_value(reply).map_err(|e| {
                SendError::uncertain(FailureKind::ProviderError, "unreadable", format!("send result: {e}"))
            })?;
            for entry in page.send_list.into_iter().filter(|e| !e.external_userid.is_empty()) {
                match MassSendStatus::from_code(entry.status) {
                    Some(status) => states.push((entry.external_userid, status)),
                    None => tracing::warn!(message = "unknown mass send status", status = entry.status),
                }
            }
            if page.next_cursor.is_empty() {
                break;
            }
            cursor = page.next_cursor;
        }
        Ok(states)
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

    /// A mass-send task to one customer; it goes out when the staff member confirms it.
    async fn send(&self, out: &Outgoing) -> Result<Receipt, SendError> {
        let mut body = json!({
            "chat_type": "single",
            "external_userid": [out.to],
            "text": {"content": out.text},
        });
        if let Some(sender) = &out.sender {
            body["sender"] = json!(sender);
        }
        if let Some(url) = &out.link {
            body["attachments"] =
                json!([{"msgtype": "link", "link": {"title": link_title(&out.text, url), "url": url}}]);
        }
        let reply = self.api.post("cgi-bin/externalcontact/add_msg_template", &body).await?;
        let refused = reply["fail_list"].as_array().is_some_and(|list| list.iter().any(|id| id == &json!(out.to)));
        if refused {
            // WeCom lists customers it will not send to: not (or no longer) the sender's friend.
            return Err(SendError::rejected(
                FailureKind::UserRefused,
                "fail_list",
                "the customer cannot receive from this sender (not a friend)",
            ));
        }
        match reply["msgid"].as_str().filter(|id| !id.is_empty()) {
            Some(msgid) => Ok(Receipt { provider_message_id: Some(msgid.to_string()), awaiting_confirmation: true }),
            None => Err(SendError::uncertain(FailureKind::ProviderError, "no_msgid", "accepted without a msgid")),
        }
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
    fn statuses_follow_the_documented_codes() {
        let read: Vec<_> = (0..5).map(MassSendStatus::from_code).collect();
        assert_eq!(
            read,
            [
                Some(MassSendStatus::Unsent),
                Some(MassSendStatus::Sent),
                Some(MassSendStatus::NotFriend),
                Some(MassSendStatus::ReceivedAlready),
                None
            ]
        );
    }

    #[test]
    fn link_titles_come_from_the_text() {
        assert_eq!(link_title("\n 今日鲜果到店 \n第二行", "https://x"), "今日鲜果到店");
        assert_eq!(link_title("", "https://x"), "https://x");
        assert_eq!(link_title(&"长".repeat(50), "u").chars().count(), 41);
    }
}
