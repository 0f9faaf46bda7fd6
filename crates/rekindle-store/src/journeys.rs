//! Journeys and delivery, as stored: journey drafts and published versions, the people walking
//! them (enrollments), the outbox every message goes through, message templates, coupons, and
//! the consent and subscription ledgers (docs/journeys.md).
//!
//! The guarantees live here, inside single transactions: an enrollment is taken at most once
//! per trigger; a message's send-once key is written before any provider call; caps are
//! counted and a slot taken atomically, so concurrent journeys cannot both take the last one.

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::journey::{Definition, EntryLimits, Reentry, WhenCapped};
use rekindle_core::outreach::{ChannelKind, CouponDefinition, Skip};
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JourneyStatus {
    /// Never published.
    Draft,
    Live,
    /// Published, but not taking anyone in or moving anyone on.
    Paused,
    Archived,
}

impl JourneyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Live => "live",
            Self::Paused => "paused",
            Self::Archived => "archived",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Live, Self::Paused, Self::Archived].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Journey {
    pub id: JourneyId,
    pub name: String,
    pub status: JourneyStatus,
    /// What the editor holds; publishing copies it into a new version.
    pub draft: Definition,
    /// The version people enter now, once published.
    pub version: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyVersion {
    pub journey: JourneyId,
    pub version: i32,
    pub definition: Definition,
    pub published_at: DateTime<Utc>,
    pub published_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentState {
    /// Walking, or waiting at a step until `wake_at`.
    Active,
    /// Past the last step; still measured against the goal until its window closes.
    Finished,
    /// In a split's holdout: sent nothing, measured against the goal.
    HeldOut,
    /// Reached the goal.
    Converted,
    /// Left by an exit rule or event.
    Exited,
}

impl EnrollmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Finished => "finished",
            Self::HeldOut => "held_out",
            Self::Converted => "converted",
            Self::Exited => "exited",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Finished, Self::HeldOut, Self::Converted, Self::Exited]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrollment {
    pub id: i64,
    pub journey: JourneyId,
    /// The version entered; the person finishes on it even if a newer one is published.
    pub version: i32,
    pub person: PersonId,
    pub state: EnrollmentState,
    /// The step to resume at when `wake_at` comes (none: the walk ends then).
    pub step: Option<String>,
    pub wake_at: Option<DateTime<Utc>>,
    /// The split variant the person was put in, if any.
    pub variant: Option<String>,
    /// Bumped at every advance: a stale walk cannot write over a newer one, and send keys of a
    /// step visited twice differ.
    pub seq: i32,
    pub entered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub converted_at: Option<DateTime<Utc>>,
    /// What the trigger said (the product ordered, the category running out…), for messages.
    pub context: serde_json::Value,
}

impl Enrollment {
    /// The row [`crate::Enrollments::enroll`] writes for `new` under `id`, at `first` (the
    /// journey's first step): what an entry's first walk is planned from before it is written
    /// ([`WalkedEntry`]).
    pub fn entering(id: i64, new: &NewEnrollment, first: Option<String>) -> Self {
        Enrollment {
            id,
            journey: new.journey,
            version: new.version,
            person: new.person,
            state: EnrollmentState::Active,
            step: first,
            wake_at: Some(new.at),
            variant: None,
            seq: 0,
            entered_at: new.at,
            updated_at: new.at,
            converted_at: None,
            context: new.context.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrollment {
    pub journey: JourneyId,
    pub version: i32,
    pub person: PersonId,
    /// What triggered it (event id, segment change, date…): the same trigger enrolls once.
    pub trigger_key: String,
    pub reentry: Reentry,
    pub context: serde_json::Value,
    pub at: DateTime<Utc>,
    /// The journey's entry limits: counted and applied under the same lock as the insert, so
    /// concurrent runners cannot overshoot; a refusal is recorded for the readout.
    pub limits: EntryLimits,
}

/// An entry whose first walk was planned before it was written, under an id reserved for it
/// ([`crate::Enrollments::reserve_enrollment_ids`]): the walk's split is seeded and its send
/// keys named by that id. Entered and walked in one write (`Enrollments::enter_walked`).
#[derive(Debug, Clone, PartialEq)]
pub struct WalkedEntry {
    pub id: i64,
    pub entry: NewEnrollment,
    /// The walk from the first step, planned for `seq` 0; dropped if the entry is refused.
    pub walk: Advance,
}

/// Where a walk left an enrollment, with what it produced; applied in one transaction, and
/// only if the enrollment is still at `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct Advance {
    pub enrollment: i64,
    pub seq: i32,
    pub state: EnrollmentState,
    pub step: Option<String>,
    pub wake_at: Option<DateTime<Utc>>,
    pub variant: Option<String>,
    pub messages: Vec<NewMessage>,
    pub log: Vec<StepRecord>,
    pub at: DateTime<Utc>,
}

/// What happened at a step, for the readout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    pub step: String,
    /// entered, sent, skipped, coupon, tag, webhook, assigned, held_out, exited, finished…
    pub outcome: String,
    pub detail: Option<String>,
}

/// A message to queue. Its `send_key` is unique in the workspace: queueing it again is a no-op.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub send_key: String,
    pub person: PersonId,
    pub journey: Option<JourneyId>,
    pub enrollment: Option<i64>,
    pub step: Option<String>,
    pub variant: Option<String>,
    pub channel: ChannelKind,
    /// Phone, openid, external_userid… as the channel addresses the person.
    pub recipient: String,
    /// WeCom: the staff member who sends.
    pub sender: Option<String>,
    /// Provider template id (SMS / mini-program), also what subscription credits are kept by.
    pub template: Option<String>,
    /// The rendered message (text, params, link) as JSON.
    pub body: serde_json::Value,
    pub transactional: bool,
    /// Not before this moment (the end of quiet hours, or now).
    pub not_before: DateTime<Utc>,
    /// The calendar day in the store's zone it goes out on, which caps count it against.
    pub day: NaiveDate,
    /// Already decided not to send (opted out, no address, open ticket…): recorded as skipped.
    pub skip: Option<Skip>,
    /// The journey's priority, 1–9 (`limits.priority`; 5 outside journeys): a higher one takes
    /// a capped slot from a queued lower one.
    pub priority: u8,
    /// The journey's `limits.message_tag`, counted by per-tag caps.
    pub tag: Option<String>,
    /// Capped: skipped, or deferred to the next day with room (up to a week).
    pub when_capped: WhenCapped,
    /// The same message on other channels, each rendered with its own template, tried in
    /// order when this one is skipped or capped; the first that queues is the one recorded
    /// (under this send key). Their own `fallback`s are not read.
    pub fallback: Vec<NewMessage>,
}

impl NewMessage {
    /// This message, then its fallbacks, in the order they are tried.
    pub fn choices(&self) -> impl Iterator<Item = &NewMessage> {
        std::iter::once(self).chain(&self.fallback)
    }

    /// What the caps ask of it on `day`.
    pub fn outgoing(&self, day: NaiveDate) -> rekindle_core::outreach::Outgoing<'_> {
        rekindle_core::outreach::Outgoing {
            channel: self.channel,
            transactional: self.transactional,
            day,
            tag: self.tag.as_deref(),
            sender: self.sender.as_deref(),
            recipient: &self.recipient,
            priority: self.priority,
        }
    }

    /// The record on its step of the channel that took a message with fallbacks.
    pub fn chosen(&self, channel: ChannelKind) -> Option<StepRecord> {
        (!self.fallback.is_empty()).then(|| StepRecord {
            step: self.step.clone().unwrap_or_default(),
            outcome: format!("channel:{channel}"),
            detail: Some(channel.as_str().to_owned()),
        })
    }
}

/// The priority of messages outside journeys.
pub const DEFAULT_PRIORITY: u8 = rekindle_core::journey::DEFAULT_PRIORITY;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Queued,
    /// Claimed by a dispatcher, which is calling the provider.
    Sending,
    Sent,
    /// WeCom mass send: waiting for the staff member to confirm.
    Awaiting,
    Delivered,
    Failed,
    /// The call may or may not have reached the person; never sent again unless the channel
    /// de-duplicates.
    Uncertain,
    /// Not sent: a cap, opt-out, missing address… (the reason in `error_code`).
    Skipped,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Awaiting => "awaiting",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Uncertain => "uncertain",
            Self::Skipped => "skipped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        use OutboxState::*;
        [Queued, Sending, Sent, Awaiting, Delivered, Failed, Uncertain, Skipped].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub workspace: WorkspaceId,
    pub send_key: String,
    pub person: PersonId,
    pub journey: Option<JourneyId>,
    pub step: Option<String>,
    pub variant: Option<String>,
    pub channel: ChannelKind,
    pub recipient: String,
    pub sender: Option<String>,
    pub template: Option<String>,
    pub body: serde_json::Value,
    pub transactional: bool,
    pub state: OutboxState,
    pub attempts: i32,
    pub not_before: DateTime<Utc>,
    pub day: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub provider_id: Option<String>,
    pub error_kind: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Claimed again after the dispatcher that was sending it died: whether the provider got
    /// it is unknown.
    pub recovered: bool,
}

/// How queueing one message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    Queued(i64),
    /// Its send key was queued before.
    Duplicate,
    /// Recorded as skipped, with the reason.
    Skipped(Skip),
}

/// How a provider call ended, to record on the claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    Sent {
        provider_id: Option<String>,
        awaiting: bool,
    },
    /// Certainly not sent; try again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: DeliveryError,
    },
    Failed(DeliveryError),
    Uncertain(DeliveryError),
    Skipped(Skip),
    /// Not tried: the channel's send rate is used up until `at` (`[delivery] rate_per_minute`).
    /// Queued again, and the claim's attempt given back: waiting is not failing.
    Held {
        at: DateTime<Utc>,
    },
}

/// What recording an outcome writes on the message: every backend writes these same fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub state: OutboxState,
    /// When a retry may go out (unchanged when `None`).
    pub not_before: Option<DateTime<Utc>>,
    pub provider_id: Option<String>,
    pub error: Option<DeliveryError>,
    /// When it was sent (unchanged when `None`).
    pub sent_at: Option<DateTime<Utc>>,
    /// Attempts to take back from the count the claim raised (1 for a held message).
    pub attempts_back: i32,
}

impl Dispatched {
    /// The message's fields after this outcome, recorded at `at`.
    pub fn recorded(&self, at: DateTime<Utc>) -> Recorded {
        let (state, not_before, provider_id, error) = match self {
            Dispatched::Sent { provider_id, awaiting } => {
                (if *awaiting { OutboxState::Awaiting } else { OutboxState::Sent }, None, provider_id.clone(), None)
            }
            Dispatched::Retry { at, error } => (OutboxState::Queued, Some(*at), None, Some(error.clone())),
            Dispatched::Failed(e) => (OutboxState::Failed, None, None, Some(e.clone())),
            Dispatched::Uncertain(e) => (OutboxState::Uncertain, None, None, Some(e.clone())),
            Dispatched::Skipped(s) => (
                OutboxState::Skipped,
                None,
                None,
                Some(DeliveryError { kind: "skipped".into(), code: s.as_str().into(), message: String::new() }),
            ),
            Dispatched::Held { at } => (OutboxState::Queued, Some(*at), None, None),
        };
        let sent_at = matches!(self, Dispatched::Sent { .. }).then_some(at);
        let attempts_back = i32::from(matches!(self, Dispatched::Held { .. }));
        Recorded { state, not_before, provider_id, error, sent_at, attempts_back }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub kind: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedCoupon {
    pub code: String,
    pub coupon: String,
    pub person: PersonId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub order_id: Option<String>,
}

impl IssuedCoupon {
    /// A coupon of `definition` issued to `person` at `at` under `issue_key`: its code follows
    /// from the key, so issuing again yields the same code.
    pub fn new(
        ws: WorkspaceId,
        definition: &CouponDefinition,
        person: PersonId,
        issue_key: &str,
        at: DateTime<Utc>,
    ) -> Self {
        IssuedCoupon {
            code: coupon_code(ws, issue_key),
            coupon: definition.name.clone(),
            person,
            issued_at: at,
            expires_at: definition.expires_at(at),
            redeemed_at: None,
            order_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponIssue {
    Issued(IssuedCoupon),
    /// This issue key was issued before: the same coupon.
    Again(IssuedCoupon),
    /// The person holds `per_person_limit` of these already.
    LimitReached,
    /// The journey has issued its `limits.coupon_budget` already.
    BudgetSpent,
}

/// A journey's counts by step and variant (docs/journeys.md, "Readout").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ReadoutRow {
    pub step: String,
    pub variant: Option<String>,
    pub outcome: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct VariantCounts {
    pub variant: Option<String>,
    pub entered: i64,
    pub converted: i64,
}

/// A person's entry into a journey, for attribution; the person as they are now (after merges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyEntry {
    pub enrollment: i64,
    pub journey: JourneyId,
    pub person: PersonId,
    pub variant: Option<String>,
    pub entered_at: DateTime<Utc>,
}

/// A journey's message that went out (sent or delivered), at when it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyTouch {
    pub journey: JourneyId,
    pub enrollment: Option<i64>,
    pub person: PersonId,
    pub at: DateTime<Utc>,
}

/// A coupon issued to someone, with the key it was issued under (a journey's coupons name
/// their enrollment in it: [`rekindle_core::journey::coupon_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRecord {
    pub issue_key: String,
    pub issued: IssuedCoupon,
}

/// Someone who withdrew consent for a channel, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    pub person: PersonId,
    pub at: DateTime<Utc>,
}

/// The last recorded membership change and stage change the journey runner has acted on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCursors {
    pub membership: i64,
    pub stages: i64,
}

/// The days caps count over for a message going out on `day`: its calendar month and its week
/// (Monday first), in the store's zone. Every backend counts over these same windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapWindow {
    pub day: NaiveDate,
    pub month: (NaiveDate, NaiveDate),
    pub week: (NaiveDate, NaiveDate),
}

impl CapWindow {
    pub fn of(day: NaiveDate) -> Self {
        use chrono::Datelike;
        let month_start = day.with_day(1).expect("day 1 exists");
        let next_month = month_start.checked_add_months(chrono::Months::new(1)).expect("a representable month");
        let month_end = next_month.pred_opt().expect("a day before");
        let week_start = day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
        let week_end = week_start + chrono::Days::new(6);
        Self { day, month: (month_start, month_end), week: (week_start, week_end) }
    }

    /// The span of days any count looks at.
    pub fn span(&self) -> (NaiveDate, NaiveDate) {
        (self.month.0.min(self.week.0), self.month.1.max(self.week.1))
    }
}

/// The code of the coupon issued under `issue_key`: derived, so a retried issue names the same
/// coupon, and short enough to read out (RK + 10 characters of Crockford base32).
pub fn coupon_code(ws: WorkspaceId, issue_key: &str) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let digest = Sha256::new().chain_update(ws.0.to_le_bytes()).chain_update(issue_key.as_bytes()).finalize();
    let mut bits = u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"));
    let mut code = String::from("RK");
    for _ in 0..10 {
        code.push(ALPHABET[(bits & 31) as usize] as char);
        bits >>= 5;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_windows_follow_the_calendar() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let w = CapWindow::of(d("2026-03-01")); // a Sunday
        assert_eq!(w.month, (d("2026-03-01"), d("2026-03-31")));
        assert_eq!(w.week, (d("2026-02-23"), d("2026-03-01")));
        assert_eq!(w.span(), (d("2026-02-23"), d("2026-03-31")));
        assert_eq!(CapWindow::of(d("2028-02-10")).month.1, d("2028-02-29"));
    }

    #[test]
    fn each_outcome_writes_its_state_and_only_a_send_its_time() {
        let at: DateTime<Utc> = "2026-05-01T04:00:00Z".parse().unwrap();
        let sent = Dispatched::Sent { provider_id: Some("b1".into()), awaiting: true }.recorded(at);
        assert_eq!(
            (sent.state, sent.sent_at, sent.provider_id.as_deref()),
            (OutboxState::Awaiting, Some(at), Some("b1"))
        );
        let later = at + chrono::Duration::minutes(5);
        let error = DeliveryError { kind: "throttled".into(), code: "429".into(), message: String::new() };
        let retry = Dispatched::Retry { at: later, error }.recorded(at);
        assert_eq!((retry.state, retry.not_before, retry.sent_at), (OutboxState::Queued, Some(later), None));
        let skipped = Dispatched::Skipped(Skip::OptedOut).recorded(at);
        assert_eq!(skipped.state, OutboxState::Skipped);
        assert_eq!(skipped.error.map(|e| (e.kind, e.code)), Some(("skipped".into(), "opted_out".into())));
        let held = Dispatched::Held { at: later }.recorded(at);
        assert_eq!((held.state, held.not_before, held.attempts_back), (OutboxState::Queued, Some(later), 1));
        assert_eq!(retry.attempts_back, 0, "a retry counts its attempt");
    }

    #[test]
    fn coupon_codes_are_stable_per_key() {
        let ws = WorkspaceId(1);
        assert_eq!(coupon_code(ws, "a"), coupon_code(ws, "a"));
        assert_ne!(coupon_code(ws, "a"), coupon_code(ws, "b"));
        assert_ne!(coupon_code(ws, "a"), coupon_code(WorkspaceId(2), "a"));
        assert_eq!(coupon_code(ws, "a").len(), 12);
    }
}
