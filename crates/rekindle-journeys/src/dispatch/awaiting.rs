//! WeCom mass sends wait for the staff member to confirm them in their WeCom app, so the
//! outbox keeps them `awaiting` until `get_groupmsg_send_result` says what became of each:
//! delivered (on the person's timeline as `Message Delivered`), not delivered (no longer a
//! friend, or their mass-message quota was used), or never confirmed.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use rekindle_core::outreach::ChannelKind;
use rekindle_delivery::{FailureKind, MassSendStatus};
use rekindle_store::{DeliveryError, OutboxMessage, OutboxState};

use super::Dispatcher;
use rekindle_core::events;

/// How often one mass send's result is asked for.
const CHECK_EVERY: Duration = Duration::minutes(10);
/// A mass send still unconfirmed this long after it was handed to WeCom is given up.
const GIVE_UP_AFTER: Duration = Duration::days(7);
/// Awaiting messages looked at per call.
const BATCH: u32 = 500;

/// When each awaiting message was last asked about (in memory: after a restart each is asked
/// once more, which costs one API call).
#[derive(Default)]
pub(super) struct Checks(Mutex<HashMap<i64, DateTime<Utc>>>);

impl Checks {
    fn due(&self, id: i64, now: DateTime<Utc>) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if last.get(&id).is_some_and(|at| now - *at < CHECK_EVERY) {
            return false;
        }
        last.insert(id, now);
        true
    }

    fn forget(&self, id: i64) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
}

/// What one look at the awaiting mass sends found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub asked: usize,
    pub delivered: usize,
    pub failed: usize,
    pub waiting: usize,
}

impl Dispatcher {
    /// Ask WeCom what became of the mass sends awaiting confirmation that were not asked about
    /// in the last ten minutes, and record it.
    pub async fn check_awaiting(&self) -> rekindle_store::Result<Checked> {
        let mut checked = Checked::default();
        let now = (self.clock)();
        let awaiting = self.store.messages_in_state(OutboxState::Awaiting, BATCH).await?;
        for m in awaiting.iter().filter(|m| m.channel == ChannelKind::Wecom) {
            let (Some(msgid), Some(sender)) = (&m.provider_id, &m.sender) else { continue };
            if !self.checks.due(m.id, now) {
                continue;
            }
            // The WeCom app of the message's workspace; none configured now, nothing to ask.
            let wecom = match self.channels.channels(m.workspace).await {
                Ok(channels) => channels.wecom(),
                Err(e) => {
                    tracing::warn!(send_key = %m.send_key, error = %e, "cannot read the workspace's channels");
                    None
                }
            };
            let Some(wecom) = wecom else { continue };
            checked.asked += 1;
            let status = match wecom.mass_send_state(msgid, sender).await {
                Ok(states) => states.into_iter().find(|(who, _)| *who == m.recipient).map(|(_, s)| s),
                Err(e) => {
                    tracing::warn!(send_key = %m.send_key, error = %e, "cannot read the mass send's result");
                    continue;
                }
            };
            match status {
                Some(MassSendStatus::Sent) => {
                    self.store.mark_delivered(m.workspace, &m.send_key, now).await?;
                    self.on_timeline(m, events::MESSAGE_DELIVERED, m.provider_id.as_deref(), now).await;
                    self.checks.forget(m.id);
                    checked.delivered += 1;
                }
                Some(MassSendStatus::NotFriend) => {
                    self.give_up(
                        m,
                        FailureKind::UserRefused,
                        "not_friend",
                        "no longer the staff member's contact",
                        now,
                    )
                    .await?;
                    checked.failed += 1;
                }
                Some(MassSendStatus::ReceivedAlready) => {
                    let why = "the customer already had their mass messages for the period";
                    self.give_up(m, FailureKind::QuotaExhausted, "received_already", why, now).await?;
                    checked.failed += 1;
                }
                Some(MassSendStatus::Unsent) | None if now - m.updated_at >= GIVE_UP_AFTER => {
                    let why = "the staff member did not confirm the mass send within 7 days";
                    self.give_up(m, FailureKind::Unconfirmed, "unconfirmed", why, now).await?;
                    checked.failed += 1;
                }
                Some(MassSendStatus::Unsent) | None => checked.waiting += 1,
            }
        }
        Ok(checked)
    }

    async fn give_up(
        &self,
        m: &OutboxMessage,
        kind: FailureKind,
        code: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> rekindle_store::Result<()> {
        let error = DeliveryError { kind: kind.as_str().to_owned(), code: code.to_owned(), message: why.to_owned() };
        self.store.fail_awaiting(m.id, &error, now).await?;
        self.checks.forget(m.id);
        Ok(())
    }
}
