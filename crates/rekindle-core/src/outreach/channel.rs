use serde::{Deserialize, Serialize};

/// A way to reach a person. Caps and consent are kept per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// WeCom customer contact: 1:1 through a staff member, or a mass send they confirm.
    Wecom,
    /// SMS through Aliyun or Tencent Cloud.
    Sms,
    /// Mini-program subscribe message: one acceptance allows one send.
    Miniprogram,
    /// A signed HTTP call to the operator's own system.
    Webhook,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [Self::Wecom, Self::Sms, Self::Miniprogram, Self::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wecom => "wecom",
            Self::Sms => "sms",
            Self::Miniprogram => "miniprogram",
            Self::Webhook => "webhook",
        }
    }

    /// Webhooks reach the operator's systems, not the person: no caps, quiet hours or consent.
    pub fn reaches_person(self) -> bool {
        self != Self::Webhook
    }
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ChannelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| "is not one of wecom, sms, miniprogram, webhook".to_owned())
    }
}
