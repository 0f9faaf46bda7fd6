//! What a stand-in remembers: deliveries, queued faults, counters, and the provider-specific
//! bits (issued tokens, used nonces, mass-send tasks, media, welcome codes, 微信客服 messages,
//! the WeCom contact book, seen idempotency keys).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::contacts::Book;
use super::media::Media;
use super::{Delivered, Fault, KfSync, MassTask, Upload};

/// How long a Timeout fault holds its answer: well past [`super::CLIENT_TIMEOUT_MS`].
pub(crate) const HOLD: Duration = Duration::from_millis(3000);

#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
}

#[derive(Default)]
pub(crate) struct State {
    pub delivered: Vec<Delivered>,
    pub next: VecDeque<Fault>,
    pub for_to: HashMap<String, Fault>,
    pub requests: usize,
    pub bad_signatures: usize,
    pub delay: Duration,
    /// Aliyun: SignatureNonce values seen.
    pub nonces: HashSet<String>,
    /// WeCom and mini-program: issued access tokens and when each expires.
    pub tokens: HashMap<String, Instant>,
    /// WeCom: mass-send tasks by msgid.
    pub tasks: BTreeMap<String, Task>,
    /// WeCom: every mass-send task created, as its body said, in order.
    pub mass_tasks: Vec<MassTask>,
    /// WeCom: issued media ids.
    pub media: HashMap<String, Media>,
    /// WeCom: every accepted `media/upload`, in order.
    pub uploads: Vec<Upload>,
    /// WeCom: welcome codes by code.
    pub welcome_codes: HashMap<String, Welcome>,
    /// WeCom 微信客服: the messages `kf/sync_msg` reads, in WeCom's JSON, oldest first.
    pub kf_messages: Vec<serde_json::Value>,
    /// WeCom 微信客服: every `kf/sync_msg` answered.
    pub kf_syncs: Vec<KfSync>,
    /// WeCom: staff, customers and who is whose, tags, channel codes, transfers.
    pub contacts: Book,
    /// Webhook: Idempotency-Keys already delivered.
    pub seen_keys: HashSet<String>,
}

/// A WeCom mass-send task: who it is for and where each customer (or group chat) stands (the
/// documented status codes 0–3).
pub(crate) struct Task {
    pub sender: Option<String>,
    /// Recipients are group chat ids, not customers.
    pub group: bool,
    pub recipients: Vec<(String, u8)>,
    /// Customers who already had their quota of mass messages when the task was created.
    pub over_quota: HashSet<String>,
}

pub(crate) struct Welcome {
    pub external_userid: String,
    pub issued: Instant,
    pub used: bool,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Count the request and wait the configured latency.
    pub(crate) async fn begin(&self) {
        let delay = {
            let mut state = self.lock();
            state.requests += 1;
            state.delay
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// The fault this send meets: the next queued one, else the recipient's.
    pub(crate) fn fault(&self, to: &str) -> Option<Fault> {
        let mut state = self.lock();
        state.next.pop_front().or_else(|| state.for_to.get(to).copied())
    }

    pub(crate) fn bad_signature(&self) {
        self.lock().bad_signatures += 1;
    }

    pub(crate) fn record(&self, delivered: Delivered) {
        self.lock().delivered.push(delivered);
    }

    /// Issue an access token valid for two hours.
    pub(crate) fn issue_token(&self) -> String {
        let token = format!("standin-token-{}", hex::encode(rand::random::<[u8; 12]>()));
        self.lock().tokens.insert(token.clone(), Instant::now() + Duration::from_secs(7200));
        token
    }

    /// Whether `token` was issued here, and is still valid.
    pub(crate) fn token(&self, token: Option<&str>) -> TokenState {
        let Some(token) = token.filter(|t| !t.is_empty()) else { return TokenState::Missing };
        match self.lock().tokens.get(token) {
            None => TokenState::Unknown,
            Some(expires) if *expires <= Instant::now() => TokenState::Expired,
            Some(_) => TokenState::Valid,
        }
    }
}

pub(crate) enum TokenState {
    Valid,
    Missing,
    Unknown,
    Expired,
}

/// A random id in the style of request ids.
pub(crate) fn request_id() -> String {
    let b = rand::random::<[u8; 16]>();
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode(&b[..4]),
        hex::encode(&b[4..6]),
        hex::encode(&b[6..8]),
        hex::encode(&b[8..10]),
        hex::encode(&b[10..])
    )
    .to_uppercase()
}
