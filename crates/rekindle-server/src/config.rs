//! Configuration, layered: defaults → TOML file → `REKINDLE__SECTION__KEY` environment
//! variables → command-line flags. Unknown keys are refused, so a typo is an error, not a
//! silently ignored setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use rekindle_core::identity::IdentityPolicy;
use rekindle_ingest::IngestConfig;
use serde::{Deserialize, Serialize};

pub use rekindle_core::secret::Secret;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to serve HTTP on.
    pub listen: SocketAddr,
    /// Directory of the embedded SQLite store (used unless `database_url` is set).
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL instead of the embedded store.
    pub database_url: Option<Secret>,
    /// The public address customers reach this server at (`https://rekindle.shop.cn`). Every
    /// web address in a message to a person goes out as a tracked link, `{public_url}/l/{code}`,
    /// that records `Message Clicked` (docs/journeys.md, "Tracked links"). Unset: the
    /// subscriptions' `link_base` if it is a web address, else links go out untracked.
    pub public_url: Option<String>,
    /// Connections: timeouts and how many may be open at once.
    pub http: HttpConfig,
    pub api: ApiConfig,
    pub auth: AuthConfig,
    pub ingest: IngestConfig,
    /// Limits on identifiers of one kind per person (OneID over-merge guard).
    pub identity: IdentityPolicy,
    pub segments: SegmentsConfig,
    /// Journeys: caps, quiet hours, the WeCom welcome message (docs/journeys.md).
    pub journeys: JourneysConfig,
    /// Message providers: SMS (Aliyun or Tencent Cloud), WeCom, the mini-program, a signed
    /// webhook (docs/journeys.md). None configured: messages are queued and recorded as
    /// failed with `no_provider`.
    pub channels: rekindle_delivery::ChannelsConfig,
    /// Subscriptions (定期购): how answer links are signed and where they point
    /// (docs/subscriptions.md).
    pub subscriptions: SubscriptionsConfig,
    /// Send rates: provider calls a minute per channel, for each store's accounts
    /// (`rate_per_minute = { wecom = 600, sms = 300 }`); past it, messages wait their turn.
    /// A channel left out is not paced.
    pub delivery: rekindle_core::outreach::SendRates,
    pub log: LogConfig,
}

/// A public address links can be made under: `http(s)://host[:port][/path]`, without a query,
/// fragment or anything that ends a link in running text; without its trailing slash.
fn public_base(url: &str) -> Result<String, &'static str> {
    let base = url.trim().trim_end_matches('/');
    let plain = base.bytes().all(|b| b.is_ascii_graphic() && !b"\"<>`{}|\\^?#".contains(&b));
    if rekindle_core::outreach::tracked::is_web_address(base) && plain {
        Ok(base.to_owned())
    } else {
        Err("must be an http:// or https:// address such as https://rekindle.shop.cn, without a query or fragment")
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubscriptionsConfig {
    /// Signs the answer links sent with each shipment confirmation (HMAC-SHA256). Unset: a
    /// random secret per start, so links sent before a restart stop working — set it.
    pub link_secret: Option<Secret>,
    /// The public address customers open links at (`https://rekindle.shop.cn`); empty for a
    /// bare `/s/…` path.
    pub link_base: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JourneysConfig {
    /// Run journeys and deliver messages. Off: journeys can be edited, nothing is sent.
    pub enabled: bool,
    /// Frequency caps per calendar day in the store's time zone, WeCom's limits, SMS quiet
    /// hours and per-number limits.
    pub caps: rekindle_core::outreach::CapsConfig,
    /// How often waits that ended and dated triggers are looked for, in milliseconds (new
    /// events are handled as soon as they are stored).
    pub tick_ms: u64,
    /// The WeCom message template sent as the welcome message when a customer adds a staff
    /// member (WeCom allows it within 20 seconds of the callback). None: no welcome.
    pub welcome_template: Option<String>,
    /// The link a person shares their referral code with, `{code}` replaced by it
    /// (docs/referral.md): the mini-program page or H5 address that reads `ref`.
    pub share_link: String,
    /// Posts to customer groups (docs/groups.md): promotional posts a group takes a day.
    pub group_posts: rekindle_core::groups::PostRules,
    /// How often WeCom's list of friendships is reconciled with the log, in minutes (0: never;
    /// docs/relationships.md). Callbacks are not sent for changes made through WeCom's API.
    pub wecom_reconcile_minutes: u64,
    /// How often customer transfers waiting in WeCom are asked about, in seconds.
    pub wecom_transfer_poll_seconds: u64,
}

impl Default for JourneysConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            caps: Default::default(),
            tick_ms: 1000,
            welcome_template: None,
            share_link: "/pages/index/index?ref={code}".into(),
            group_posts: Default::default(),
            wecom_reconcile_minutes: 360,
            wecom_transfer_poll_seconds: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentsConfig {
    /// How often profiles catch up with the log and segment membership and lifecycle stage
    /// changes are recorded. Reads of segments and profiles are at most this old.
    pub refresh_seconds: u64,
    /// Lifecycle thresholds (docs/segments.md).
    pub lifecycle: rekindle_core::lifecycle::LifecycleConfig,
    /// Value-tier shares (docs/segments.md).
    pub tiers: rekindle_core::lifecycle::TierShares,
    /// Predictions: CLV horizon and discount, how often to refit (docs/models.md).
    pub models: rekindle_core::scores::ModelConfig,
}

impl Default for SegmentsConfig {
    fn default() -> Self {
        Self {
            refresh_seconds: 5,
            lifecycle: Default::default(),
            tiers: Default::default(),
            models: Default::default(),
        }
    }
}

impl Config {
    /// What the services behind the server need (see [`rekindle_runtime::Settings`]).
    pub fn runtime(&self) -> rekindle_runtime::Settings {
        rekindle_runtime::Settings {
            identity: self.identity.clone(),
            ingest: self.ingest.clone(),
            judging: self.segments.judging(),
            refresh: std::time::Duration::from_secs(self.segments.refresh_seconds.max(1)),
            caps: self.journeys.caps.clone(),
            journeys: self.journeys.enabled,
            tick: std::time::Duration::from_millis(self.journeys.tick_ms.max(10)),
            channels: self.channels.clone(),
            subscription_links: self.subscription_links(),
            link_base: self.link_base(),
            rates: self.delivery.clone(),
            wecom: rekindle_runtime::WecomWork {
                reconcile: (self.journeys.wecom_reconcile_minutes > 0)
                    .then(|| std::time::Duration::from_secs(self.journeys.wecom_reconcile_minutes * 60)),
                poll: std::time::Duration::from_secs(self.journeys.wecom_transfer_poll_seconds.max(1)),
            },
        }
    }

    /// The answer-link signer: the configured secret, else a random one for this run.
    fn subscription_links(&self) -> rekindle_engine::subscription::Links {
        let base = &self.subscriptions.link_base;
        match &self.subscriptions.link_secret {
            Some(s) => rekindle_engine::subscription::Links::new(s.expose().as_bytes(), base),
            None => {
                tracing::warn!("subscriptions.link_secret is not set: answer links last until the next restart");
                let random: [u8; 32] = rand::random();
                rekindle_engine::subscription::Links::new(&random, base)
            }
        }
    }
}

impl SegmentsConfig {
    pub fn judging(&self) -> rekindle_engine::Judging {
        rekindle_engine::Judging { lifecycle: self.lifecycle.clone(), tiers: self.tiers, models: self.models }
    }
}

/// How long a connection may take over each phase, and how many may be open (the
/// `serve` module says how they are enforced).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Seconds a client may take to send a request's headers, from their first byte; then
    /// the connection is closed (slow-loris clients).
    pub header_timeout_secs: u64,
    /// Seconds a connection may wait for a request, new or kept alive; then it is closed.
    pub idle_timeout_secs: u64,
    /// Seconds a request's body may take to arrive after its headers; then `408`.
    pub body_timeout_secs: u64,
    /// Connections open at once; a new one past it is answered `503` and closed. Lowered at
    /// start to what the open-files limit (raised to its hard limit) leaves room for.
    pub max_connections: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { header_timeout_secs: 10, idle_timeout_secs: 60, body_timeout_secs: 30, max_connections: 10_000 }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// A bearer token with the owner role in every workspace, for automation and recovery.
    /// Unset by default: operators sign in, or use their own API tokens.
    pub admin_token: Option<Secret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// How long a console session lasts from sign-in.
    pub session_hours: u32,
    /// Mark the session cookie `Secure` (serve over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { session_hours: 12, secure_cookies: false }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `pretty` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `rekindle_server=debug,info`.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Pretty, filter: "info".into() }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7700)),
            data_dir: PathBuf::from("rekindle-data"),
            database_url: None,
            public_url: None,
            http: HttpConfig::default(),
            api: ApiConfig::default(),
            auth: AuthConfig::default(),
            ingest: IngestConfig::default(),
            identity: IdentityPolicy::default(),
            segments: SegmentsConfig::default(),
            journeys: JourneysConfig::default(),
            channels: Default::default(),
            subscriptions: SubscriptionsConfig::default(),
            delivery: Default::default(),
            log: LogConfig::default(),
        }
    }
}

impl Config {
    /// Load the layers. `file` is optional; `overrides` are the command line's flags, as a
    /// partial config (only the keys the user gave).
    pub fn load(file: Option<&Path>, overrides: serde_json::Value) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            fig = fig.merge(Toml::file_exact(file));
        }
        let config: Self = fig
            .merge(Env::prefixed("REKINDLE__").split("__"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)?;
        if let Some(url) = &config.public_url {
            public_base(url).map_err(|e| Box::new(figment::Error::from(format!("public_url: {e}"))))?;
        }
        config.journeys.caps.check().map_err(|e| Box::new(figment::Error::from(e)))?;
        Ok(config)
    }

    /// Where tracked links point (docs/journeys.md, "Tracked links"): `public_url`, else the
    /// subscriptions' `link_base` when it is a web address; `None` leaves links untracked.
    pub fn link_base(&self) -> Option<String> {
        match &self.public_url {
            Some(url) => public_base(url).ok(),
            None => public_base(&self.subscriptions.link_base).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journeys_and_channels_read_as_the_readme_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rekindle.toml");
        std::fs::write(
            &file,
            r#"
[journeys]
tick_ms = 500
welcome_template = "欢迎语"

[journeys.caps]
per_day = 3
per_channel_per_day = { wecom = 2, sms = 1, miniprogram = 1 }
wecom_mass = "strict"
quiet_hours = { sms = { from = "22:00", until = "08:30" } }
rolling = [{ days = 7, max = 3 }, { days = 30, max = 4, channel = "sms" }]

[journeys.caps.per_tag]
promotion = { days = 7, max = 2 }

[channels]
sms_provider = "tencent"

[channels.webhook]
url = "https://example.com/hook"
secret = "s3cret"
"#,
        )
        .unwrap();
        let c = Config::load(Some(&file), serde_json::json!({})).unwrap();
        use rekindle_core::outreach::{ChannelKind, LocalTime, WecomMassLimit};
        assert_eq!((c.journeys.tick_ms, c.journeys.caps.per_day), (500, 3));
        assert_eq!(c.journeys.caps.per_channel_per_day[&ChannelKind::Wecom], 2);
        assert_eq!(c.journeys.caps.wecom_mass, WecomMassLimit::Strict);
        assert_eq!(c.journeys.caps.quiet_hours[&ChannelKind::Sms].until, LocalTime::hm(8, 30));
        assert_eq!(c.journeys.caps.rolling[1].channel, Some(ChannelKind::Sms));
        assert_eq!((c.journeys.caps.per_tag["promotion"].days, c.journeys.caps.per_tag["promotion"].max), (7, 2));
        assert_eq!(c.channels.webhook.as_ref().unwrap().secret.expose(), "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"), "secrets never in Debug output");
    }

    #[test]
    fn send_rates_read_as_the_readme_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rekindle.toml");
        std::fs::write(&file, "[delivery]\nrate_per_minute = { wecom = 600, sms = 300 }\n").unwrap();
        let c = Config::load(Some(&file), serde_json::json!({})).unwrap();
        use rekindle_core::outreach::ChannelKind;
        assert_eq!((c.delivery.of(ChannelKind::Wecom), c.delivery.of(ChannelKind::Sms)), (Some(600), Some(300)));
        assert_eq!(c.runtime().rates.of(ChannelKind::Miniprogram), None, "a channel left out is not paced");
        std::fs::write(&file, "[delivery]\nrate_per_minute = { fax = 1 }\n").unwrap();
        assert!(Config::load(Some(&file), serde_json::json!({})).is_err(), "an unknown channel is refused");
    }

    #[test]
    fn layers_apply_in_order_and_unknown_keys_fail() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rekindle.toml");
        std::fs::write(&file, "data_dir = \"/from/file\"\n[identity.limits]\nphone = 2\n").unwrap();
        let c = Config::load(Some(&file), serde_json::json!({"listen": "127.0.0.1:9999"})).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/file"));
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.identity.limit(rekindle_core::IdentifierKind::Phone), 2);

        std::fs::write(&file, "data_dri = \"/typo\"\n").unwrap();
        let e = Config::load(Some(&file), serde_json::json!({})).unwrap_err();
        assert!(e.to_string().contains("data_dri"), "{e}");
    }

    /// The example in README's Configuration section is a valid file and says the defaults.
    #[test]
    fn the_readme_example_loads_and_matches_the_defaults() {
        let readme = include_str!("../../../README.md");
        let section = &readme[readme.find("## Configuration").expect("a Configuration section")..];
        let start = section.find("```toml\n").expect("a TOML example") + "```toml\n".len();
        let example = &section[start..start + section[start..].find("```").unwrap()];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rekindle.toml");
        std::fs::write(&file, example).unwrap();
        let c = Config::load(Some(&file), serde_json::json!({})).unwrap();
        let d = Config::default();
        assert_eq!((c.listen, &c.data_dir), (d.listen, &d.data_dir));
        assert_eq!(c.segments.refresh_seconds, d.segments.refresh_seconds);
        assert_eq!(c.segments.tiers, d.segments.tiers);
        assert_eq!(c.segments.models, d.segments.models);
        assert_eq!(c.segments.lifecycle.churn_days, d.segments.lifecycle.churn_days);
        assert_eq!(c.ingest.max_apply_messages, d.ingest.max_apply_messages);
        assert_eq!(
            (c.http.header_timeout_secs, c.http.idle_timeout_secs, c.http.body_timeout_secs, c.http.max_connections),
            (d.http.header_timeout_secs, d.http.idle_timeout_secs, d.http.body_timeout_secs, d.http.max_connections)
        );
    }

    #[test]
    fn the_public_url_makes_the_link_base() {
        let d = Config::default();
        assert_eq!(d.link_base(), None, "untracked by default");
        let c = Config { public_url: Some(" https://rk.shop.cn/ ".into()), ..Config::default() };
        assert_eq!(c.link_base().as_deref(), Some("https://rk.shop.cn"));
        let mut c = Config::default();
        c.subscriptions.link_base = "https://rk.shop.cn/app".into();
        assert_eq!(c.link_base().as_deref(), Some("https://rk.shop.cn/app"), "the subscriptions' address");
        c.subscriptions.link_base = String::new();
        assert_eq!(c.link_base(), None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rekindle.toml");
        std::fs::write(&file, "public_url = \"https://rk.shop.cn\"\n").unwrap();
        assert_eq!(
            Config::load(Some(&file), serde_json::json!({})).unwrap().link_base().as_deref(),
            Some("https://rk.shop.cn")
        );
        for bad in [
            "rk.shop.cn",
            "ftp://rk.shop.cn",
            "https://",
            "https://rk.shop.cn/?a=1",
            "https://rk shop.cn",
            "https://店.cn",
        ] {
            std::fs::write(&file, format!("public_url = {bad:?}\n")).unwrap();
            let e = Config::load(Some(&file), serde_json::json!({})).unwrap_err();
            assert!(e.to_string().contains("public_url"), "{bad}: {e}");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = Config { database_url: Some(Secret::new("postgres://u:hunter2@db/x")), ..Config::default() };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
