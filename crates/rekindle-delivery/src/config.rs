//! Provider credentials and endpoints, as read from the `[channels]` section of the
//! configuration. Every base URL can be pointed elsewhere, which is how tests reach the
//! stand-ins. Secrets are [`Secret`]s: `Debug` never shows them.

use serde::{Deserialize, Serialize};

use crate::Secret;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    /// How long one provider call may take, connect to last byte.
    pub timeout_ms: u64,
    /// "aliyun" or "tencent". Needed only when both are configured.
    pub sms_provider: Option<String>,
    pub aliyun_sms: Option<AliyunSmsConfig>,
    pub tencent_sms: Option<TencentSmsConfig>,
    pub wecom: Option<WecomConfig>,
    pub miniprogram: Option<MiniProgramConfig>,
    pub webhook: Option<WebhookConfig>,
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        Self {
            timeout_ms: 5000,
            sms_provider: None,
            aliyun_sms: None,
            tencent_sms: None,
            wecom: None,
            miniprogram: None,
            webhook: None,
        }
    }
}

/// Aliyun SMS (dysmsapi), RPC style with signature v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliyunSmsConfig {
    #[serde(default = "aliyun_endpoint")]
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// The approved signature, e.g. "回流生鲜".
    pub sign_name: String,
}

fn aliyun_endpoint() -> String {
    "https://dysmsapi.aliyuncs.com".into()
}

/// Tencent Cloud SMS, API 3.0 with TC3-HMAC-SHA256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TencentSmsConfig {
    #[serde(default = "tencent_endpoint")]
    pub endpoint: String,
    pub secret_id: String,
    pub secret_key: Secret,
    /// The SMS application, "1400…".
    pub sdk_app_id: String,
    pub sign_name: String,
    #[serde(default = "tencent_region")]
    pub region: String,
}

fn tencent_endpoint() -> String {
    "https://sms.tencentcloudapi.com".into()
}

fn tencent_region() -> String {
    "ap-guangzhou".into()
}

/// A WeCom self-built app with the customer-contact permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WecomConfig {
    #[serde(default = "wecom_api_base")]
    pub api_base: String,
    pub corp_id: String,
    /// The customer-contact secret (or the app's), for `gettoken`.
    pub secret: Secret,
    /// The callback URL's Token.
    pub callback_token: Secret,
    /// The callback URL's EncodingAESKey: 43 characters.
    pub encoding_aes_key: Secret,
    /// The self-built app's AgentId ("1000002"), which `wx.agentConfig` needs: without it the
    /// chat-sidebar page cannot be signed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
}

fn wecom_api_base() -> String {
    "https://qyapi.weixin.qq.com".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiniProgramConfig {
    #[serde(default = "wechat_api_base")]
    pub api_base: String,
    pub app_id: String,
    pub app_secret: Secret,
    /// Which version of the mini-program a tapped message opens: "formal", "trial" or
    /// "developer".
    #[serde(default = "formal")]
    pub state: String,
}

fn wechat_api_base() -> String {
    "https://api.weixin.qq.com".into()
}

fn formal() -> String {
    "formal".into()
}

/// The operator's endpoint and the shared secret the body is signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_endpoints_and_unknown_keys_are_refused() {
        let c: ChannelsConfig = serde_json::from_value(serde_json::json!({
            "aliyun_sms": {"access_key_id": "LTAI", "access_key_secret": "s3cret-aliyun", "sign_name": "回流"},
            "tencent_sms": {"secret_id": "AKID", "secret_key": "s3cret-tencent", "sdk_app_id": "1400000000",
                            "sign_name": "回流"},
        }))
        .unwrap();
        assert_eq!(c.timeout_ms, 5000);
        assert_eq!(c.aliyun_sms.unwrap().endpoint, "https://dysmsapi.aliyuncs.com");
        let t = c.tencent_sms.unwrap();
        assert_eq!((t.endpoint.as_str(), t.region.as_str()), ("https://sms.tencentcloudapi.com", "ap-guangzhou"));

        let unknown = serde_json::from_value::<ChannelsConfig>(serde_json::json!({"smtp": {}}));
        assert!(unknown.is_err());
        let nested = serde_json::from_value::<ChannelsConfig>(serde_json::json!({
            "webhook": {"url": "https://x", "secret": "s", "extra": 1}
        }));
        assert!(nested.is_err());
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let c = ChannelsConfig {
            aliyun_sms: Some(AliyunSmsConfig {
                endpoint: aliyun_endpoint(),
                access_key_id: "LTAI".into(),
                access_key_secret: Secret::new("s3cret-aliyun"),
                sign_name: "回流".into(),
            }),
            wecom: Some(WecomConfig {
                api_base: wecom_api_base(),
                corp_id: "ww1".into(),
                secret: Secret::new("s3cret-wecom"),
                callback_token: Secret::new("s3cret-token"),
                encoding_aes_key: Secret::new("s3cret-aes"),
                agent_id: Some("1000002".into()),
            }),
            webhook: Some(WebhookConfig { url: "https://x".into(), secret: Secret::new("s3cret-hook") }),
            ..ChannelsConfig::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("LTAI"));
    }
}
