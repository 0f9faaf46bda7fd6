//! Local servers that behave like each provider, for tests (feature `standin`).
//!
//! Each [`StandIn`] listens on 127.0.0.1 (a free port), checks requests the way the provider
//! does — recomputing Aliyun's and Tencent's signatures from what it received, checking the
//! access tokens it issued, the webhook HMAC — answers in the provider's JSON, and records what
//! it would have delivered. Faults can be queued ([`StandIn::fail_next`]) or attached to a
//! recipient ([`StandIn::fail_for`]).
//!
//! The WeCom stand-in also keeps a contact book — staff members, customers, who is whose
//! customer, corporate tags, channel codes, transfers — that its customer-contact routes read
//! and change, and that tests move as people would in WeCom ([`StandIn::customer_adds`],
//! [`StandIn::staff_removes`], [`StandIn::finish_transfers`], …), each move answered with the
//! callback WeCom would post ([`CallbackRequest`]).
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
mod contacts;
mod jsapi;
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
/// Throttle 45033, Timeout held after the upload is recorded), and so does a WeCom
/// customer-contact call (relationships, channel codes, transfers, tags) when the fault is one
/// it answers: ServerError 500, Throttle 45033, Quota 45009, Timeout held.
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

/// A callback as WeCom posts it to the callback URL: `POST {url}?{query}` with `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    /// `msg_signature=…&timestamp=…&nonce=…`
    pub query: String,
    /// `<xml><ToUserName>…</ToUserName><Encrypt>…</Encrypt><AgentID>…</AgentID></xml>`
    pub body: String,
    /// The decrypted event, for assertions.
    pub plain: String,
}

impl CallbackRequest {
    /// One query parameter: `msg_signature`, `timestamp` or `nonce`.
    pub fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// A transfer the WeCom stand-in accepted for one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub handover_userid: String,
    pub takeover_userid: String,
    pub external_userid: String,
    /// 离职继承 (`resigned/transfer_customer`); else 在职继承.
    pub resigned: bool,
    /// WeCom's status: 1 done, 2 waiting, 3 refused by the customer.
    pub status: u8,
    pub asked_at: DateTime<Utc>,
    /// When it completed (status 1).
    pub finished_at: Option<DateTime<Utc>>,
    /// `transfer_success_msg`.
    pub message: Option<String>,
}

/// A "联系我" channel code the WeCom stand-in keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactWayRecord {
    pub config_id: String,
    /// 1 one staff member, 2 several.
    pub kind: u8,
    /// 1 mini-program button, 2 QR code.
    pub scene: u8,
    pub remark: String,
    pub skip_verify: bool,
    pub state: String,
    pub users: Vec<String>,
    /// Empty unless scene 2.
    pub qr_code: String,
}

/// A customer-group join code the WeCom stand-in keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinWayRecord {
    pub config_id: String,
    pub scene: u8,
    pub remark: String,
    pub auto_create_room: bool,
    pub room_base_name: String,
    pub room_base_id: i64,
    pub chat_ids: Vec<String>,
    pub state: String,
    pub qr_code: String,
}

/// A running stand-in; the server stops when this is dropped.
pub struct StandIn {
    provider: Provider,
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// WeCom: the application jsapi tickets issued.
    tickets: Arc<jsapi::Tickets>,
    server: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Start on a free port of 127.0.0.1, served by the current tokio runtime.
    pub async fn start(provider: Provider) -> StandIn {
        let shared = Arc::new(Shared::default());
        let tickets = Arc::new(jsapi::Tickets::default());
        let router = match provider {
            Provider::AliyunSms => aliyun::router(shared.clone()),
            Provider::TencentSms => tencent::router(shared.clone()),
            Provider::Wecom => wecom::router(shared.clone(), tickets.clone()),
            Provider::Miniprogram => miniprogram::router(shared.clone()),
            Provider::Webhook => webhook::router(shared.clone()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a stand-in on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        StandIn { provider, addr, shared, tickets, server }
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

    /// WeCom: how many application jsapi tickets (`ticket/get?type=agent_config`) were issued.
    pub fn tickets_issued(&self) -> usize {
        self.tickets.issued().len()
    }

    /// WeCom: the application jsapi tickets issued, oldest first, for recomputing a
    /// `wx.agentConfig` signature.
    pub fn agent_tickets(&self) -> Vec<String> {
        self.tickets.issued()
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

    // -----------------------------------------------------------------------------------------
    // WeCom contact book. Staff members and customers named by a move are added to the book
    // when new; only customers in the book change how mass sends behave.

    /// WeCom: a staff member with the customer-contact permission (again, if they had left).
    pub fn add_staff(&self, userid: &str) {
        contacts::add_staff(&self.shared, userid)
    }

    /// WeCom: the staff member leaves. They drop out of `get_follow_user_list` and
    /// relationship reads; their customers wait in `get_unassigned_list` for 离职继承.
    pub fn depart_staff(&self, userid: &str) {
        contacts::depart_staff(&self.shared, userid)
    }

    /// WeCom: a customer's nickname and unionid, as reads report them (customers added by a
    /// move without this are named `客户` and their id's last four characters, no unionid).
    pub fn add_customer(&self, external_userid: &str, name: &str, unionid: Option<&str>) {
        contacts::add_customer(&self.shared, external_userid, name, unionid)
    }

    /// WeCom: the customer adds `staff` — through a channel code whose `state` is given (add
    /// way 1, a QR code scanned) or otherwise (add way 0). The relationship is made now, and
    /// the `add_external_contact` callback carries the state and a welcome code valid 20
    /// seconds.
    pub fn customer_adds(&self, staff: &str, external_userid: &str, state: Option<&str>) -> CallbackRequest {
        contacts::customer_adds(&self.shared, staff, external_userid, state)
    }

    /// WeCom: the customer deletes `staff` (`del_follow_user`); the relationship is gone.
    pub fn customer_removes(&self, staff: &str, external_userid: &str) -> CallbackRequest {
        contacts::customer_removes(&self.shared, staff, external_userid)
    }

    /// WeCom: `staff` deletes the customer (`del_external_contact`); the relationship is gone.
    pub fn staff_removes(&self, staff: &str, external_userid: &str) -> CallbackRequest {
        contacts::staff_removes(&self.shared, staff, external_userid)
    }

    /// WeCom: `staff` sets the customer's corporate tags to `tag_ids` in the app
    /// (`edit_external_contact`). Panics unless they are contacts and the tags exist.
    pub fn staff_tags(&self, staff: &str, external_userid: &str, tag_ids: &[&str]) -> CallbackRequest {
        contacts::staff_tags(&self.shared, staff, external_userid, tag_ids)
    }

    /// WeCom: a relationship made with no callback (as changes through the API are), added at
    /// `createtime`.
    pub fn silently_add(&self, staff: &str, external_userid: &str, createtime: DateTime<Utc>) {
        contacts::silently_add(&self.shared, staff, external_userid, createtime)
    }

    /// WeCom: a relationship gone with no callback; false if there was none.
    pub fn silently_remove(&self, staff: &str, external_userid: &str) -> bool {
        contacts::silently_remove(&self.shared, staff, external_userid)
    }

    /// WeCom: whether `staff` and the customer are contacts now.
    pub fn is_friend(&self, staff: &str, external_userid: &str) -> bool {
        contacts::is_friend(&self.shared, staff, external_userid)
    }

    /// WeCom: every waiting transfer completes — the relationship moves to the takeover with
    /// its createtime, add way, state and tags — or, for 在职继承 when not `accept`, is refused
    /// by the customer (status 3): the `transfer_fail` callbacks for those. 离职继承 always
    /// completes (its customers are not asked).
    pub fn finish_transfers(&self, accept: bool) -> Vec<CallbackRequest> {
        contacts::finish_transfers(&self.shared, accept)
    }

    /// WeCom: every transfer accepted, in the order asked.
    pub fn transfers(&self) -> Vec<TransferRecord> {
        self.shared.lock().contacts.transfers.clone()
    }

    /// WeCom: the corporate tag ids `staff` put on the customer (empty if not contacts).
    pub fn tags_of(&self, staff: &str, external_userid: &str) -> Vec<String> {
        contacts::tags_of(&self.shared, staff, external_userid)
    }

    /// WeCom: the "联系我" channel codes, in the order created.
    pub fn contact_ways(&self) -> Vec<ContactWayRecord> {
        self.shared.lock().contacts.contact_ways.clone()
    }

    /// WeCom: the customer-group join codes, in the order created.
    pub fn join_ways(&self) -> Vec<JoinWayRecord> {
        self.shared.lock().contacts.join_ways.clone()
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
