//! The dispatcher: claims due messages from the outbox and hands each to its channel, once.
//!
//! The send-once key is the outbox row itself: it exists before any provider call, and a claim
//! marks it `sending` (committed) before the call. So:
//! - a retry happens only after a provider said for certain it did not send (throttled, refused
//!   the connection);
//! - when the answer is lost (timeout, 5xx) or the dispatcher died mid-call, the message is
//!   `uncertain` and never sent again, unless its channel de-duplicates by our key (webhooks);
//! - opt-outs recorded after queueing (say, overnight while held for quiet hours) still stop it.
//!
//! Work that must happen once is claimed with row locks by the store (`claim_messages`), so any
//! number of dispatchers on any number of nodes can run.

mod awaiting;
mod directory;
mod groups;

pub use directory::{Built, ChannelDirectory, DirectoryError, PROVIDERS};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use rekindle_core::message::Arrival;
use rekindle_core::outreach::tracked::{self, Content};
use rekindle_core::outreach::{Attachment, ChannelKind, SendRates, Skip, TokenBucket};
use rekindle_core::{Message, WorkspaceId};
use rekindle_delivery::{Outgoing, SendError};
use rekindle_store::{DeliveryError, Dispatched, OutboxMessage, Source, Store, StoreError, TrackedLink};

pub use awaiting::Checked;
pub use groups::GroupRound;
use rekindle_core::events;
use rekindle_engine::Clock;
use rekindle_ingest::Ingestor;

#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// How long a claim lasts before another dispatcher may take the message over.
    pub lease: chrono::Duration,
    /// Messages claimed at once.
    pub batch: u32,
    /// Provider calls in flight at once.
    pub concurrency: usize,
    /// Attempts before a message that keeps being refused for now is given up.
    pub max_attempts: i32,
    /// The first retry's wait; each further one doubles, up to an hour.
    pub backoff: Duration,
    /// The public address short links are served at (`https://rekindle.shop.cn`): every web
    /// address in a message to a person goes out as `{link_base}/l/{code}`, which records
    /// `Message Clicked` (docs/journeys.md, "Tracked links"). None: sent as written, untracked.
    pub link_base: Option<String>,
    /// Provider calls a minute per channel, per store (`[delivery] rate_per_minute`); past
    /// it, messages wait in the outbox for their turn.
    pub rates: SendRates,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            lease: chrono::Duration::seconds(60),
            batch: 64,
            concurrency: 16,
            max_attempts: 6,
            backoff: Duration::from_secs(30),
            link_base: None,
            rates: SendRates::default(),
        }
    }
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    channels: Arc<ChannelDirectory>,
    clock: Clock,
    config: DispatchConfig,
    /// The one road into the event log: the sends Rekindle records on people's timelines go
    /// in as any event does, durably and resolved to people the same way.
    events: Ingestor,
    checks: awaiting::Checks,
    /// One bucket per store and paced channel: each store has its own provider accounts.
    buckets: Mutex<HashMap<(WorkspaceId, ChannelKind), TokenBucket>>,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub uncertain: usize,
    pub skipped: usize,
    /// Put back to wait for the channel's send rate.
    pub held: usize,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        channels: Arc<ChannelDirectory>,
        clock: Clock,
        config: DispatchConfig,
        events: Ingestor,
    ) -> Self {
        Self { store, channels, clock, config, events, checks: Default::default(), buckets: Default::default() }
    }

    /// Claim what is due and send it; returns when every claimed message is recorded.
    pub async fn round(&self) -> rekindle_store::Result<Round> {
        let now = (self.clock)();
        let claimed = self.store.claim_messages(now, self.config.lease, self.config.batch).await?;
        let mut round = Round { claimed: claimed.len(), ..Round::default() };
        // Provider calls run concurrently; what they answered is written in one transaction.
        let outcomes: Vec<(OutboxMessage, Dispatched)> = futures::stream::iter(claimed)
            .map(|m| async move {
                let outcome = self.deliver(&m).await;
                (m, outcome)
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        let at = (self.clock)();
        let records: Vec<(i64, Dispatched)> = outcomes.iter().map(|(m, o)| (m.id, o.clone())).collect();
        let written = self.store.record_dispatches(&records, at).await?;
        for ((m, outcome), written) in outcomes.iter().zip(written) {
            if let Err(e) = written {
                tracing::warn!(send_key = %m.send_key, error = %e, "the outcome was not recorded");
                continue;
            }
            match outcome {
                Dispatched::Sent { provider_id, .. } => {
                    round.sent += 1;
                    self.on_timeline(m, events::MESSAGE_SENT, provider_id.as_deref(), at).await;
                }
                Dispatched::Retry { .. } => round.retried += 1,
                Dispatched::Failed(_) => round.failed += 1,
                Dispatched::Uncertain(_) => round.uncertain += 1,
                Dispatched::Skipped(_) => round.skipped += 1,
                Dispatched::Held { .. } => round.held += 1,
            }
        }
        Ok(round)
    }

    async fn deliver(&self, m: &OutboxMessage) -> Dispatched {
        let channels = match self.channels.channels(m.workspace).await {
            Ok(c) => c,
            Err(e) => return self.retry(m, error("store", "channel_settings", e.to_string()), None),
        };
        let Some(channel) = channels.get(m.channel) else {
            return Dispatched::Failed(error(
                "misconfigured",
                "no_provider",
                format!("no {} provider is configured", m.channel),
            ));
        };
        if m.recovered && !channel.deduplicates() {
            return Dispatched::Uncertain(error(
                "interrupted",
                "lease_expired",
                "the dispatcher stopped during the provider call; not sent again".into(),
            ));
        }
        if m.channel.reaches_person() {
            match self.store.opted_out(m.workspace, m.person).await {
                Ok(out) if out.contains(&m.channel) => return Dispatched::Skipped(Skip::OptedOut),
                Ok(_) => {}
                Err(e) => return self.retry(m, error("store", "consent", e.to_string()), None),
            }
        }
        if let Err(at) = self.take_turn(m) {
            return Dispatched::Held { at };
        }
        let text = |k: &str| m.body.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let params = m
            .body
            .get("params")
            .and_then(|p| serde_json::from_value::<Vec<(String, String)>>(p.clone()).ok())
            .unwrap_or_default();
        let content = Content {
            text: text("text").unwrap_or_default(),
            link: text("link"),
            attachments: m
                .body
                .get("attachments")
                .and_then(|a| serde_json::from_value::<Vec<Attachment>>(a.clone()).ok())
                .unwrap_or_default(),
            params,
        };
        let content = match self.tracked(m, content).await {
            Ok(c) => c,
            Err(not_now) => return not_now,
        };
        let out = Outgoing {
            send_key: m.send_key.clone(),
            channel: m.channel,
            to: m.recipient.clone(),
            sender: m.sender.clone(),
            template: m.template.clone(),
            params: content.params,
            text: content.text,
            link: content.link,
            context: serde_json::json!({"person": m.person, "journey": m.journey, "step": m.step, "body": m.body}),
            attachments: content.attachments.iter().map(Into::into).collect(),
        };
        match channel.send(&out).await {
            Ok(receipt) => {
                Dispatched::Sent { provider_id: receipt.provider_message_id, awaiting: receipt.awaiting_confirmation }
            }
            Err(SendError::Rejected { kind, code, message }) => {
                Dispatched::Failed(error(kind.as_str(), &code, message))
            }
            Err(SendError::Retryable { kind, code, message, retry_after }) => {
                self.retry(m, error(kind.as_str(), &code, message), retry_after)
            }
            Err(SendError::Uncertain { kind, code, message }) if channel.deduplicates() => {
                self.retry(m, error(kind.as_str(), &code, message), None)
            }
            Err(SendError::Uncertain { kind, code, message }) => {
                Dispatched::Uncertain(error(kind.as_str(), &code, message))
            }
        }
    }

    /// The message with its web addresses as short links, saved before anything is sent
    /// (docs/journeys.md, "Tracked links"): a retried send names the same links. A store that
    /// cannot save them retries the message, so it never goes out untracked.
    async fn tracked(&self, m: &OutboxMessage, content: Content) -> Result<Content, Dispatched> {
        let Some(base) = self.config.link_base.as_deref().filter(|_| m.channel.reaches_person()) else {
            return Ok(content);
        };
        let t = tracked::track(m.channel, base, content, |i| tracked::link_code(m.workspace, &m.send_key, i));
        if t.links.is_empty() {
            return Ok(t.content);
        }
        let at = (self.clock)();
        let links: Vec<TrackedLink> = t
            .links
            .into_iter()
            .map(|l| TrackedLink {
                code: l.code,
                send_key: m.send_key.clone(),
                person: m.person,
                journey: m.journey,
                step: m.step.clone(),
                variant: m.variant.clone(),
                channel: m.channel,
                url: l.url,
                created_at: at,
            })
            .collect();
        match self.store.save_links(m.workspace, &links).await {
            Ok(()) => Ok(t.content),
            // Two sends met on one code (60 bits): not to be expected, and never redirected wrongly.
            Err(StoreError::AlreadyExists(what)) => {
                Err(Dispatched::Failed(error("store", "link_code_taken", format!("{what} is another send's"))))
            }
            Err(e) => Err(self.retry(m, error("store", "tracked_links", e.to_string()), None)),
        }
    }

    /// A turn within the channel's send rate, or when the next one comes.
    fn take_turn(&self, m: &OutboxMessage) -> Result<(), DateTime<Utc>> {
        let Some(rate) = self.config.rates.of(m.channel) else { return Ok(()) };
        let now = (self.clock)();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets.entry((m.workspace, m.channel)).or_insert_with(|| TokenBucket::new(rate, now)).take(now)
    }

    /// Try again later, or give up after `max_attempts`.
    fn retry(&self, m: &OutboxMessage, e: DeliveryError, after: Option<Duration>) -> Dispatched {
        if m.attempts >= self.config.max_attempts {
            return Dispatched::Failed(e);
        }
        let doubled = self.config.backoff.saturating_mul(1 << (m.attempts - 1).clamp(0, 16) as u32);
        let wait = doubled.min(Duration::from_secs(3600)).max(after.unwrap_or_default());
        let at = (self.clock)() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
        Dispatched::Retry { at, error: e }
    }

    /// Record what became of a message on the person's timeline (`Message Sent`, `Message
    /// Delivered`), addressed by the identifier the channel reached them by (webhooks reach
    /// the operator, not the person).
    async fn on_timeline(&self, m: &OutboxMessage, event: &str, provider_id: Option<&str>, at: DateTime<Utc>) {
        let trait_name = match m.channel {
            ChannelKind::Sms => "phone",
            ChannelKind::Miniprogram => "wechat_openid",
            ChannelKind::Wecom => "wecom_external_userid",
            ChannelKind::Webhook => return,
        };
        let json = serde_json::json!({
            "type": "track",
            "event": event,
            // One per message and event: a repeated report is the same event.
            "messageId": format!("rekindle:{}:{}", event.rsplit(' ').next().unwrap_or(event).to_lowercase(), m.send_key),
            // Segment requires an id; the channel's identifier below says whose it is.
            "anonymousId": format!("rekindle:{}", m.person),
            "timestamp": at.to_rfc3339(),
            "properties": {
                "message_id": m.send_key, "journey_id": m.journey, "step": m.step, "variant": m.variant,
                "channel": m.channel.as_str(), "provider_id": provider_id,
            },
            "context": {"traits": {trait_name: m.recipient}, "library": {"name": "rekindle"}},
        });
        if let Err(e) = self.append(m.workspace, &json, at).await {
            tracing::warn!(send_key = %m.send_key, error = %e, "the send is not on the person's timeline");
        }
    }

    async fn append(&self, ws: WorkspaceId, json: &serde_json::Value, at: DateTime<Utc>) -> Result<(), String> {
        let arrival = Arrival { historical: true, ..Arrival::live(at) };
        let message = Message::parse(&json.to_string(), None, &arrival).map_err(|e| e.to_string())?;
        self.events.submit(ws, Source("rekindle".into()), vec![message]).await.map_err(|e| e.to_string())
    }
}

fn error(kind: &str, code: &str, message: String) -> DeliveryError {
    DeliveryError { kind: kind.to_owned(), code: code.to_owned(), message }
}
