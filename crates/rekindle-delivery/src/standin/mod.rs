//! Local servers that behave like each provider, for tests (feature `standin`).
//!
//! Each [`StandIn`] listens on 127.0.0.1 (a free port), checks requests the way the provider
//! does — recomputing Aliyun's and Tencent's signatures from what it received, checking the
//! access tokens it issued, the webhook HMAC — answers in the provider's JSON, and records what
//! it would have delivered. Faults can be queued ([`StandIn::fail_next`]) or attached to a
//! recipient ([`StandIn::fail_for`]).
//!
//! ```no_run
//! # async fn demo() {
//! use rekindle_delivery::standin::{Fault, Provider, StandIn};
//! let sms = StandIn::start(Provider::AliyunSms).await;
//! let channels = rekindle_delivery::Channels::from_config(&sms.config()).unwrap();
//! sms.fail_next(Fault::Throttle);
//! # }
//! ```

mod aliyun;
mod media;
mod miniprogram;
mod state;
mod tencent;
mod webhook;
mod wecom;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::ChannelsConfig;
use state::Shared;

/// The client timeout [`StandIn::config`] sets: short, so Timeout faults are quick to test.
pub const CLIENT_TIMEOUT_MS: u64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    AliyunSms,
    TencentSms,
    Wecom,
    Miniprogram,
    Webhook,
}

/// What goes wrong with a send. Each provider answers it in its own words:
///
/// | fault | Aliyun | Tencent | WeCom | mini-program | webhook |
/// |---|---|---|---|---|---|
/// | Quota | isv.DAY_LIMIT_CONTROL | FailedOperation.InsufficientBalanceInSmsPackage | accepted; status 3 on confirm | 45009 | 429, Retry-After 3600 |
/// | Throttle | isv.BUSINESS_LIMIT_CONTROL | LimitExceeded.PhoneNumberThirtySecondLimit | 45033 | 45011 | 429, Retry-After 2 |
/// | Refused | isv.CUSTOMER_REFUSED | FailedOperation.PhoneNumberInBlacklist | fail_list (not a friend) | 43101 | 410 |
/// | InvalidRecipient | isv.MOBILE_NUMBER_ILLEGAL | InvalidParameterValue.IncorrectPhoneNumber | 40096 | 40003 | 404 |
///
/// Timeout delivers, then answers after longer than the client waits; ServerError answers 500
/// without delivering. A WeCom `media/upload` takes the next queued fault too (ServerError 500,
/// Throttle 45033, Timeout held after the upload is recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    Timeout,
    ServerError,
    Quota,
    Throttle,
    Refused,
    InvalidRecipient,
}

/// A message the provider accepted for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// Phone as sent (Aliyun 11 digits, Tencent E.164), openid, external_userid or webhook "to".
    pub to: String,
    /// Aliyun OutId, Tencent SessionContext, webhook Idempotency-Key; None for WeChat APIs.
    pub send_key: Option<String>,
    pub template: Option<String>,
    /// Aliyun TemplateParam and mini-program data in the order sent; Tencent's positional
    /// parameters named "1", "2", …
    pub params: Vec<(String, String)>,
    /// WeCom text content, webhook text; empty for template-only providers.
    pub text: String,
    /// Mini-program page, WeCom link attachment URL, webhook link.
    pub link: Option<String>,
    pub at: DateTime<Utc>,
}

/// A `kf/sync_msg` call the WeCom stand-in answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfSync {
    pub cursor: Option<String>,
    /// The callback's token, as the caller passed it.
    pub token: Option<String>,
    pub open_kfid: Option<String>,
    /// How many messages the answer carried.
    pub returned: usize,
}

/// A `media/upload` the WeCom stand-in accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The `type` parameter: image, video, voice or file.
    pub media_type: String,
    pub file_name: String,
    /// The part's Content-Type, if it had one.
    pub content_type: Option<String>,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    pub len: usize,
    pub media_id: String,
}

/// An `add_msg_template` task the WeCom stand-in created, as its body said.
#[derive(Debug, Clone, PartialEq)]
pub struct MassTask {
    pub msgid: String,
    /// "single" or "group".
    pub chat_type: String,
    pub sender: Option<String>,
    pub external_userids: Vec<String>,
    pub chat_ids: Vec<String>,
    pub text: String,
    /// The attachments in WeCom's JSON, as received.
    pub attachments: Vec<serde_json::Value>,
}

/// A running stand-in; the server stops when this is dropped.
pub struct StandIn {
    provider: Provider,
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Start on a free port of 127.0.0.1, served by the current tokio runtime.
    pub async fn start(provider: Provider) -> StandIn {
        let shared = Arc::new(Shared::default());
        let router = match provider {
            Provider::AliyunSms => aliyun::router(shared.clone()),
            Provider::TencentSms => tencent::router(shared.clone()),
            Provider::Wecom => wecom::router(shared.clone()),
            Provider::Miniprogram => miniprogram::router(shared.clone()),
            Provider::Webhook => webhook::router(shared.clone()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a stand-in on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        StandIn { provider, addr, shared, server }
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Channels configuration pointing this provider at the stand-in, with its test
    /// credentials and a [`CLIENT_TIMEOUT_MS`] timeout.
    pub fn config(&self) -> ChannelsConfig {
        let base = self.base_url();
        let mut c = ChannelsConfig { timeout_ms: CLIENT_TIMEOUT_MS, ..ChannelsConfig::default() };
        match self.provider {
            Provider::AliyunSms => {
                c.sms_provider = Some("aliyun".into());
                c.aliyun_sms = Some(aliyun::config(base));
            }
            Provider::TencentSms => {
                c.sms_provider = Some("tencent".into());
                c.tencent_sms = Some(tencent::config(base));
            }
            Provider::Wecom => c.wecom = Some(wecom::config(base)),
            Provider::Miniprogram => c.miniprogram = Some(miniprogram::config(base)),
            Provider::Webhook => c.webhook = Some(webhook::config(base)),
        }
        c
    }

    /// The next send meets `fault` (faults queue up, one per send).
    pub fn fail_next(&self, fault: Fault) {
        self.shared.lock().next.push_back(fault);
    }

    /// Every send to `to` meets `fault`. `to` as the provider receives it: 11 digits for
    /// Aliyun, `+86…` for Tencent.
    pub fn fail_for(&self, to: &str, fault: Fault) {
        self.shared.lock().for_to.insert(to.to_string(), fault);
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.shared.lock().delivered.clone()
    }

    /// Every HTTP request answered, token requests included.
    pub fn requests(&self) -> usize {
        self.shared.lock().requests
    }

    /// Requests refused for a wrong signature, key id or app secret.
    pub fn bad_signatures(&self) -> usize {
        self.shared.lock().bad_signatures
    }

    /// Latency added to every answer.
    pub fn set_delay(&self, d: Duration) {
        self.shared.lock().delay = d;
    }

    /// WeCom, mini-program: make every issued access token expired, as after two hours.
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        self.shared.lock().tokens.values_mut().for_each(|expires| *expires = now);
    }

    /// WeCom: the staff member (the group owner, for a group send) confirms the mass send
    /// `msgid`; false if there is no such task.
    pub fn confirm(&self, msgid: &str) -> bool {
        wecom::confirm(&self.shared, msgid)
    }

    /// WeCom: every accepted `media/upload`, in order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.shared.lock().uploads.clone()
    }

    /// WeCom: how many times `bytes` were uploaded.
    pub fn upload_count(&self, bytes: &[u8]) -> usize {
        use sha2::Digest;
        let sha256 = hex::encode(sha2::Sha256::digest(bytes));
        self.shared.lock().uploads.iter().filter(|u| u.sha256 == sha256).count()
    }

    /// WeCom: let every issued media id run past its three days.
    pub fn expire_media(&self) {
        media::expire_media(&self.shared)
    }

    /// WeCom: every mass-send task created (1:1 and group), in order.
    pub fn mass_tasks(&self) -> Vec<MassTask> {
        self.shared.lock().mass_tasks.clone()
    }

    /// WeCom: a welcome code, as the "customer added" callback would carry, valid 20 seconds.
    pub fn issue_welcome_code(&self, external_userid: &str) -> String {
        wecom::issue_welcome_code(&self.shared, external_userid)
    }

    /// WeCom: let every issued welcome code run past its 20 seconds.
    pub fn expire_welcome_codes(&self) {
        wecom::expire_welcome_codes(&self.shared)
    }

    /// WeCom 微信客服: a message for `kf/sync_msg` to return, in WeCom's JSON (`open_kfid`,
    /// `external_userid`, `origin` 3 customer / 4 system / 5 servicer, `servicer_userid`,
    /// `msgtype`, `text: {content}`, …); `msgid` and `send_time` are filled in when missing.
    /// Returns the msgid. Pulls page through the queue in order, by cursor; they meet the
    /// queued faults (ServerError: 500, Throttle: 45033, InvalidRecipient: 95000, Timeout: held).
    pub fn queue_kf_message(&self, message: serde_json::Value) -> String {
        wecom::queue_kf_message(&self.shared, message)
    }

    /// WeCom 微信客服: every `kf/sync_msg` answered, in order.
    pub fn kf_syncs(&self) -> Vec<KfSync> {
        self.shared.lock().kf_syncs.clone()
    }

    /// WeCom: `xml_plain` encrypted and signed as WeCom posts it to a callback URL: the query
    /// string (`msg_signature`, `timestamp`, `nonce`) and the body.
    pub fn callback_request(&self, xml_plain: &str) -> (String, String) {
        wecom::callback_request(xml_plain)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn").field("provider", &self.provider).field("addr", &self.addr).finish()
    }
}
