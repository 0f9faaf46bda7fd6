//! The JS-SDK application signature a WeCom chat-sidebar (聊天工具栏) page needs: it calls
//! `wx.agentConfig({corpid, agentid, timestamp, nonceStr, signature, jsApiList})` before
//! `wx.invoke('getCurExternalContact')`.
//!
//! The signature is SHA-1 over
//! `jsapi_ticket={ticket}&noncestr={nonce}&timestamp={ts}&url={url}`, the values raw (not
//! URL-encoded) and in that order, with the page's URL without its `#` fragment. The ticket is
//! the **application** jsapi ticket (`GET cgi-bin/ticket/get?type=agent_config`), valid 7200
//! seconds; WeCom allows few fetches an hour (100 per app), so it is fetched once, shared by
//! concurrent callers, and kept until a few minutes before it expires.

use std::time::Duration;

use rand::Rng;
use serde::Serialize;
use sha1::{Digest, Sha1};

use super::WecomClient;
use crate::token::TokenCache;
use crate::wechat::nothing_sent;
use crate::{FailureKind, Secret, SendError, WecomConfig};

/// The most bytes a page URL may have (fragment included), as given.
pub const MAX_URL_BYTES: usize = 1024;

/// The [`SendError::code`] of a page URL [`WecomClient::agent_config`] refuses before asking
/// WeCom anything.
pub const INVALID_URL: &str = "invalid_url";

/// What `wx.agentConfig` takes, less `jsApiList` (the page's own choice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentConfig {
    /// `corpid`.
    pub corp_id: String,
    /// `agentid`: the self-built app's AgentId.
    pub agent_id: String,
    /// Seconds since the epoch, as signed.
    pub timestamp: i64,
    /// `nonceStr`, as signed.
    pub nonce_str: String,
    /// Lowercase hex SHA-1.
    pub signature: String,
}

/// What the client keeps for signing: whose app it is and the cached application ticket.
#[derive(Debug)]
pub(super) struct AgentSigner {
    corp_id: String,
    agent_id: Option<String>,
    tickets: TokenCache,
}

impl AgentSigner {
    pub(super) fn new(config: &WecomConfig) -> Self {
        let agent_id = config.agent_id.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned);
        Self { corp_id: config.corp_id.clone(), agent_id, tickets: TokenCache::default() }
    }
}

#[derive(serde::Deserialize)]
struct TicketReply {
    ticket: Option<String>,
    expires_in: Option<u64>,
}

impl WecomClient {
    /// The app's AgentId (`channels.wecom.agent_id`), when configured.
    pub fn agent_id(&self) -> Option<&str> {
        self.agent.agent_id.as_deref()
    }

    /// `wx.agentConfig`'s parameters for the page at `url` (its `location.href`; a fragment is
    /// dropped). The URL is refused ([`INVALID_URL`]) unless it is http(s), ASCII (as a
    /// browser gives it, percent-encoded) and at most [`MAX_URL_BYTES`]; without an AgentId
    /// the call is refused too (`agent_id`). The ticket is WeCom's application jsapi ticket,
    /// fetched once and reused until a few minutes before it expires.
    pub async fn agent_config(&self, url: &str) -> Result<AgentConfig, SendError> {
        let url = page_url(url)
            .map_err(|reason| SendError::rejected(FailureKind::Misconfigured, INVALID_URL, format!("url: {reason}")))?;
        let Some(agent_id) = self.agent_id() else {
            return Err(SendError::rejected(
                FailureKind::Misconfigured,
                "agent_id",
                "channels.wecom.agent_id (the self-built app's AgentId) is not set",
            ));
        };
        let ticket = self.agent.tickets.get(|| self.fetch_agent_ticket()).await?;
        let timestamp = chrono::Utc::now().timestamp();
        let nonce_str = nonce();
        let signature = sign(ticket.expose(), &nonce_str, timestamp, url);
        Ok(AgentConfig {
            corp_id: self.agent.corp_id.clone(),
            agent_id: agent_id.to_owned(),
            timestamp,
            nonce_str,
            signature,
        })
    }

    /// `GET cgi-bin/ticket/get?type=agent_config`. Nothing reaches a person, so no failure
    /// here is uncertain.
    async fn fetch_agent_ticket(&self) -> Result<(Secret, Duration), SendError> {
        let reply = self.api.get("cgi-bin/ticket/get", &[("type", "agent_config")]).await.map_err(nothing_sent)?;
        let unreadable =
            || SendError::retryable(FailureKind::ProviderError, "unreadable", "ticket/get answered no ticket");
        let reply: TicketReply = serde_json::from_value(reply).map_err(|_| unreadable())?;
        let ticket = reply.ticket.filter(|t| !t.is_empty()).ok_or_else(unreadable)?;
        Ok((Secret::new(ticket), Duration::from_secs(reply.expires_in.filter(|s| *s > 0).unwrap_or(7200))))
    }
}

/// The JS-SDK signature: lowercase hex SHA-1 of
/// `jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}`, each value raw.
/// `url` is signed as given: the caller drops the fragment.
pub fn sign(ticket: &str, nonce: &str, timestamp: i64, url: &str) -> String {
    let text = format!("jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(text.as_bytes()))
}

/// The part of a page URL that is signed (without the fragment), or why it cannot be one.
pub(crate) fn page_url(url: &str) -> Result<&str, String> {
    if url.len() > MAX_URL_BYTES {
        return Err(format!("is {} bytes; at most {MAX_URL_BYTES}", url.len()));
    }
    if url.is_empty() {
        return Err("is required".into());
    }
    if !url.is_ascii() {
        return Err("must be ASCII, percent-encoded as the page's location.href gives it".into());
    }
    if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err("must not contain spaces or control characters".into());
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err("must be an http:// or https:// URL".into());
    }
    let rest = &url[url.find("://").map_or(0, |i| i + 3)..];
    if rest.is_empty() || rest.starts_with('/') {
        return Err("has no host".into());
    }
    let page = url.split('#').next().unwrap_or(url);
    match reqwest::Url::parse(page) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(page),
        Ok(_) => Err("has no host".into()),
        Err(e) => Err(format!("is not a valid URL ({e})")),
    }
}

/// 16 random letters and digits.
fn nonce() -> String {
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(16).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WeCom's documented example (JS-SDK 使用权限签名算法, developer.work.weixin.qq.com
    /// document/path/90506 and 96909).
    #[test]
    fn signs_wecoms_documented_sample() {
        let ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
        let signature = sign(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value");
        assert_eq!(signature, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
    }

    #[test]
    fn the_fragment_is_not_signed() {
        assert_eq!(page_url("https://shop.example/sidebar?x=1#/customer?id=2"), Ok("https://shop.example/sidebar?x=1"));
        assert_eq!(page_url("https://shop.example/#"), Ok("https://shop.example/"));
        // Signed as given: no normalising (a trailing slash added would break the signature).
        assert_eq!(page_url("HTTPS://shop.example"), Ok("HTTPS://shop.example"));
        assert_eq!(page_url("https://shop.example/a%20b?q=%E4%B8%AD"), Ok("https://shop.example/a%20b?q=%E4%B8%AD"));
    }

    #[test]
    fn bad_urls_are_refused() {
        let long = format!("https://shop.example/{}", "a".repeat(MAX_URL_BYTES));
        let at_limit = format!("https://shop.example/{}", "a".repeat(MAX_URL_BYTES - 21));
        assert_eq!(at_limit.len(), MAX_URL_BYTES);
        assert!(page_url(&at_limit).is_ok());
        for bad in [
            "",
            long.as_str(),
            "javascript:alert(1)",
            "JAVASCRIPT://shop.example/%0aalert(1)",
            "data:text/html,hi",
            "ftp://shop.example/",
            "//shop.example/sidebar",
            "shop.example/sidebar",
            "https://",
            "https:///path",
            "http://[::1",
            "https://shop.example/页面",
            "https://shop.example/a b",
            "https://shop.example/\r\nx",
            "https://shop.example/\0",
        ] {
            assert!(page_url(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn nonces_are_16_letters_or_digits_and_differ() {
        let (a, b) = (nonce(), nonce());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
