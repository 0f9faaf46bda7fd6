//! The configured channels, one per kind, built once at start-up.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::aliyun_sms::AliyunSms;
use crate::miniprogram::MiniProgram;
use crate::tencent_sms::TencentSms;
use crate::webhook::Webhook;
use crate::{Channel, ChannelKind, ChannelsConfig, ConfigError, WecomClient, http};

#[derive(Default, Clone)]
pub struct Channels {
    by_kind: BTreeMap<ChannelKind, Arc<dyn Channel>>,
    /// The WeCom client as itself, for welcome messages, mass-send results and callback crypto.
    wecom: Option<Arc<WecomClient>>,
}

impl Channels {
    /// Every configured provider, sharing one HTTP client. A provider that is configured but
    /// cannot work is an error here rather than at the first send.
    pub fn from_config(c: &ChannelsConfig) -> Result<Self, ConfigError> {
        if c.timeout_ms == 0 {
            return Err(ConfigError::Invalid { field: "timeout_ms", reason: "must be above 0".into() });
        }
        let http = http::client(Duration::from_millis(c.timeout_ms))?;
        let mut channels = Self::default();
        if let Some(sms) = sms(c, &http)? {
            channels.insert(sms);
        }
        if let Some(config) = &c.wecom {
            let client = Arc::new(WecomClient::with_http(config, http.clone())?);
            channels.insert(client.clone());
            channels.wecom = Some(client);
        }
        if let Some(config) = &c.miniprogram {
            channels.insert(Arc::new(MiniProgram::with_http(config, http.clone())?));
        }
        if let Some(config) = &c.webhook {
            channels.insert(Arc::new(Webhook::with_http(config, http.clone())?));
        }
        Ok(channels)
    }

    pub fn get(&self, kind: ChannelKind) -> Option<Arc<dyn Channel>> {
        self.by_kind.get(&kind).cloned()
    }

    /// Put `ch` in place of the channel of its kind (tests put fakes in). Replacing WeCom drops
    /// the typed client [`Channels::wecom`] returns, which no longer is the channel.
    pub fn insert(&mut self, ch: Arc<dyn Channel>) {
        if ch.kind() == ChannelKind::Wecom {
            self.wecom = None;
        }
        self.by_kind.insert(ch.kind(), ch);
    }

    pub fn wecom(&self) -> Option<Arc<WecomClient>> {
        self.wecom.clone()
    }

    pub fn kinds(&self) -> impl Iterator<Item = ChannelKind> + '_ {
        self.by_kind.keys().copied()
    }
}

/// The SMS provider: the one configured, or the one `sms_provider` names when both are.
fn sms(c: &ChannelsConfig, http: &reqwest::Client) -> Result<Option<Arc<dyn Channel>>, ConfigError> {
    let aliyun = || -> Result<Arc<dyn Channel>, ConfigError> {
        let config = c.aliyun_sms.as_ref().ok_or(ConfigError::Missing { field: "aliyun_sms" })?;
        Ok(Arc::new(AliyunSms::with_http(config, http.clone())?))
    };
    let tencent = || -> Result<Arc<dyn Channel>, ConfigError> {
        let config = c.tencent_sms.as_ref().ok_or(ConfigError::Missing { field: "tencent_sms" })?;
        Ok(Arc::new(TencentSms::with_http(config, http.clone())?))
    };
    match (c.sms_provider.as_deref(), &c.aliyun_sms, &c.tencent_sms) {
        (Some("aliyun"), _, _) => aliyun().map(Some),
        (Some("tencent"), _, _) => tencent().map(Some),
        (Some(_), _, _) => {
            Err(ConfigError::Invalid { field: "sms_provider", reason: "must be \"aliyun\" or \"tencent\"".into() })
        }
        (None, Some(_), Some(_)) => Err(ConfigError::Invalid {
            field: "sms_provider",
            reason: "both aliyun_sms and tencent_sms are configured; say which one sends".into(),
        }),
        (None, Some(_), None) => aliyun().map(Some),
        (None, None, Some(_)) => tencent().map(Some),
        (None, None, None) => Ok(None),
    }
}

impl fmt::Debug for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.by_kind.iter().map(|(kind, ch)| (kind.as_str(), ch.provider()))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AliyunSmsConfig, Secret, TencentSmsConfig, WebhookConfig, WecomConfig};

    fn aliyun() -> AliyunSmsConfig {
        AliyunSmsConfig {
            endpoint: "https://dysmsapi.aliyuncs.com".into(),
            access_key_id: "LTAI".into(),
            access_key_secret: Secret::new("s3cret"),
            sign_name: "回流".into(),
        }
    }

    fn tencent() -> TencentSmsConfig {
        TencentSmsConfig {
            endpoint: "https://sms.tencentcloudapi.com".into(),
            secret_id: "AKID".into(),
            secret_key: Secret::new("s3cret"),
            sdk_app_id: "1400000000".into(),
            sign_name: "回流".into(),
            region: "ap-guangzhou".into(),
        }
    }

    #[test]
    fn builds_what_is_configured() {
        let c = ChannelsConfig {
            aliyun_sms: Some(aliyun()),
            webhook: Some(WebhookConfig { url: "https://ops.example/hook".into(), secret: Secret::new("s") }),
            ..ChannelsConfig::default()
        };
        let channels = Channels::from_config(&c).unwrap();
        assert_eq!(channels.get(ChannelKind::Sms).unwrap().provider(), "aliyun_sms");
        assert!(channels.get(ChannelKind::Webhook).unwrap().deduplicates());
        assert!(channels.get(ChannelKind::Wecom).is_none() && channels.wecom().is_none());
        assert_eq!(format!("{channels:?}"), r#"{"sms": "aliyun_sms", "webhook": "webhook"}"#);
    }

    #[test]
    fn two_sms_providers_need_a_choice() {
        let both = ChannelsConfig { aliyun_sms: Some(aliyun()), tencent_sms: Some(tencent()), ..Default::default() };
        assert!(matches!(Channels::from_config(&both), Err(ConfigError::Invalid { field: "sms_provider", .. })));
        let chosen = ChannelsConfig { sms_provider: Some("tencent".into()), ..both };
        let channels = Channels::from_config(&chosen).unwrap();
        assert_eq!(channels.get(ChannelKind::Sms).unwrap().provider(), "tencent_sms");
        let missing = ChannelsConfig { sms_provider: Some("tencent".into()), ..Default::default() };
        assert_eq!(Channels::from_config(&missing).err(), Some(ConfigError::Missing { field: "tencent_sms" }));
    }

    #[test]
    fn bad_settings_are_refused_without_showing_secrets() {
        let wecom = WecomConfig {
            api_base: "https://qyapi.weixin.qq.com".into(),
            corp_id: "ww1".into(),
            secret: Secret::new("s3cret"),
            callback_token: Secret::new("tok"),
            encoding_aes_key: Secret::new("s3cret-but-not-43-characters"),
            agent_id: None,
        };
        let err = Channels::from_config(&ChannelsConfig { wecom: Some(wecom), ..Default::default() }).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { field: "wecom.encoding_aes_key", .. }));
        assert!(!err.to_string().contains("s3cret"), "{err}");

        let bad_url = AliyunSmsConfig { endpoint: "dysmsapi".into(), ..aliyun() };
        let err = Channels::from_config(&ChannelsConfig { aliyun_sms: Some(bad_url), ..Default::default() });
        assert!(matches!(err, Err(ConfigError::Invalid { field: "aliyun_sms.endpoint", .. })));
    }
}
