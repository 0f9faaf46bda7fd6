use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events;
use crate::ids::SegmentId;
use crate::lifecycle::Stage;
use crate::outreach::{ChannelKind, LocalTime};

/// A journey as stored, versioned and edited in the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub trigger: Trigger,
    /// Who may enter when triggered, as a segment rule (none: everyone triggered).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!(null)))]
    pub audience: Option<String>,
    /// The steps; people start at the first.
    pub steps: Vec<Step>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!(null)))]
    pub goal: Option<Goal>,
    /// Leave the journey early when one of these happens.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!([])))]
    pub exit: Vec<Exit>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!({"type": "once"})))]
    pub reentry: Reentry,
    /// What a message that could not go out (failed, or skipped: no address, a cap, an
    /// opt-out) does to the steps after it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(default = json!("stop")))]
    pub undelivered: Undelivered,
    /// Marketing (the default) keeps the store's global control group out; a service journey
    /// (a delivery notice, a ticket follow-up, a promised referral reward) takes everyone in.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    #[cfg_attr(feature = "openapi", schema(default = true))]
    pub marketing: bool,
    /// Launch safety and contention: priority, entry limits, coupon budget, message tag.
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

/// A journey's place among the others and the ceilings it launches under (docs/journeys.md,
/// "Launch safety" and "Priorities").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// 1 (lowest) to 9 (highest), 5 by default: when a cap has one slot left, a message of a
    /// higher-priority journey takes it from a queued lower one.
    pub priority: u8,
    /// What happens to this journey's message when a cap (or a higher-priority journey) leaves
    /// no slot: skipped, or deferred to the next day the caps allow.
    pub when_capped: WhenCapped,
    /// A tag on every message the journey sends (e.g. `promotion`), counted by per-tag caps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_tag: Option<String>,
    /// People entering per day (in the store's zone) at most; the rest are not entered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries_per_day: Option<u32>,
    /// People entering in all at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries_total: Option<u32>,
    /// Coupons the journey issues in all at most (to people and inviters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_budget: Option<u32>,
}

pub const DEFAULT_PRIORITY: u8 = 5;

impl Default for Limits {
    fn default() -> Self {
        Self {
            priority: DEFAULT_PRIORITY,
            when_capped: WhenCapped::Skip,
            message_tag: None,
            entries_per_day: None,
            entries_total: None,
            coupon_budget: None,
        }
    }
}

impl Limits {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// See [`Limits::when_capped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WhenCapped {
    #[default]
    Skip,
    Defer,
}

impl Trigger {
    /// A one-off schedule whose moment has passed: nobody new will enter (those inside walk
    /// on to the end).
    pub fn spent(&self, now: DateTime<Utc>) -> bool {
        matches!(self, Trigger::Schedule { once_at: Some(at), daily_at: None, .. } if *at <= now)
    }
}

/// After a message that was not delivered: leave the journey (the default: a coupon or a
/// follow-up that assumes the person was told should not reach them), or carry on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Undelivered {
    #[default]
    Stop,
    Continue,
}

impl Undelivered {
    /// Whether an enrollment resuming after its messages went out this way walks on.
    pub fn walks_on(self, any_undelivered: bool) -> bool {
        self == Undelivered::Continue || !any_undelivered
    }
}

/// What puts a person into a journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// An event, optionally with properties equal to these values.
    Event {
        event: String,
        #[serde(default)]
        properties: BTreeMap<String, serde_json::Value>,
    },
    SegmentEntered {
        segment: SegmentId,
    },
    SegmentLeft {
        segment: SegmentId,
    },
    /// A lifecycle stage change, to this stage.
    StageChanged {
        to: Stage,
    },
    /// A `Level Changed` event, to this level (any level when absent).
    LevelChanged {
        #[serde(default)]
        to: Option<String>,
    },
    /// Everyone in the audience, once at `once_at`, or every day (on `weekdays`, 1 = Monday)
    /// at `daily_at` in the store's zone.
    Schedule {
        #[serde(default)]
        once_at: Option<DateTime<Utc>>,
        #[serde(default)]
        daily_at: Option<LocalTime>,
        #[serde(default)]
        weekdays: Vec<u8>,
    },
    /// `days_before` a person's predicted run-out of a category (any category when absent).
    Depletion {
        days_before: u32,
        #[serde(default)]
        category: Option<String>,
    },
    /// `days_before` a person's birthday, at `at` in the store's zone.
    Birthday {
        days_before: u32,
        at: LocalTime,
    },
    /// `hours_before` a live session's scheduled start.
    LiveSession {
        hours_before: u32,
    },
    /// A viewer left a live session within `within_minutes` of arriving (docs/live.md,
    /// "Moments").
    LiveLeft {
        within_minutes: u32,
    },
    /// A session ended, for each viewer who watched at least `watched_minutes` of it and did
    /// not order in it.
    LiveNoOrder {
        watched_minutes: u32,
    },
    /// A question asked in a live room had no answer `seconds` after it was asked: a
    /// service-recovery touch.
    LiveUnanswered {
        seconds: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    pub id: String,
    #[serde(flatten)]
    pub action: Action,
    /// Where to go after this step; the journey ends without one (branches and splits name
    /// their own ways on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Wait `minutes`; or until the next `until` time of day in the store's zone (on one of
    /// `weekdays`, 1 = Monday, when given); or until a date on the person (`date`).
    Wait {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        minutes: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<LocalTime>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        weekdays: Vec<u8>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date: Option<DateWait>,
    },
    /// An action path: wait for the first of several events (or engagement with a message)
    /// and go where it says; after `timeout_minutes` with none, go to `on_timeout` (none: the
    /// journey ends).
    WaitFor {
        paths: Vec<Path>,
        timeout_minutes: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_timeout: Option<String>,
    },
    /// Go to `then` when the person matches the segment rule, else to `otherwise`.
    Branch {
        rule: String,
        then: String,
        #[serde(rename = "else")]
        otherwise: String,
    },
    /// Assign a variant by percentage; the holdout leaves and is measured against.
    Split {
        variants: Vec<Variant>,
        #[serde(default)]
        holdout_percent: u8,
        /// Pick a winner automatically once every variant has this many measured entries and
        /// one is better on the goal; from then on everyone (but the holdout) gets the winner.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auto_winner: Option<AutoWinner>,
    },
    Send {
        channel: ChannelKind,
        template: String,
        /// WeCom: which of the customer's staff members sends (the owner by default).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sender: Option<crate::contacts::SenderRule>,
        /// Channels to try in order when `channel` cannot reach the person (no address, not
        /// a friend, opted out, not subscribed, or capped), each with its own template.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fallback: Vec<ChannelChoice>,
        /// When the message goes out: at once (the default), or at the person's own active hour.
        #[serde(default, skip_serializing_if = "SendTime::is_now")]
        send_time: SendTime,
    },
    /// Issue a coupon to the person, or (`to_inviter`) to whoever invited them (`invited_by`).
    Coupon {
        coupon: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        to_inviter: bool,
    },
    Tag {
        tag: String,
        #[serde(default)]
        remove: bool,
    },
    /// Award the person `points` (earned points, expiring by the program), or (`to_inviter`)
    /// whoever invited them, once per time they pass the step; `reason` is what the ledger
    /// says (default 旅程奖励).
    AwardPoints {
        points: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        to_inviter: bool,
    },
    /// A signed call to the operator's own system (the configured webhook endpoint; journeys
    /// cannot send people's data anywhere else), saying what to do in `topic`.
    Webhook {
        topic: String,
    },
    Exit,
}

/// One way out of a [`Action::WaitFor`]: this event (with these property values), or, with
/// `this_journey`, only one about a message this journey sent (`Message Clicked` on its link).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ActionPath))]
#[serde(deny_unknown_fields)]
pub struct Path {
    pub event: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub this_journey: bool,
    pub next: String,
}

impl Path {
    /// Does an event of the person's take this path? `journey` is the journey waiting.
    pub fn takes(&self, name: &str, properties: &serde_json::Value, journey: crate::JourneyId) -> bool {
        self.event == name
            && self.properties.iter().all(|(k, v)| properties.get(k) == Some(v))
            && (!self.this_journey || properties.get("journey").and_then(|j| j.as_i64()) == Some(journey.0))
    }
}

/// A channel and the template written for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelChoice {
    pub channel: ChannelKind,
    pub template: String,
}

/// See [`Action::Send`]'s `send_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SendTime {
    #[default]
    Now,
    /// Held to the hour of day the person is most often active (ordering, watching), within
    /// the next 24 hours; at once for someone with no history.
    Personal,
}

impl SendTime {
    pub fn is_now(&self) -> bool {
        *self == SendTime::Now
    }
}

/// Wait until a date on the person: `field` is a property of the triggering event
/// (`trigger.delivered_at`) or one of the profile's dates (`last_order`, `first_order`,
/// `birthday`), moved by `offset_days`, at `at` in the store's zone (the same time of day
/// when absent). A person without the date goes on at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DateWait {
    pub field: String,
    #[serde(default)]
    pub offset_days: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<LocalTime>,
}

/// The profile's dates a [`DateWait`] may name (besides `trigger.…` properties).
pub const DATE_FIELDS: [&str; 3] = ["last_order", "first_order", "birthday"];

/// See [`Action::Split`]'s `auto_winner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoWinner {
    /// Measured entries each variant needs before a winner may be picked.
    pub min_per_variant: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SplitVariant))]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    pub percent: u8,
    pub next: String,
}

/// Success: the event (by default an order) within `within_days` of entering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Goal {
    #[serde(default = "order_completed")]
    #[cfg_attr(feature = "openapi", schema(default = "Order Completed"))]
    pub event: String,
    pub within_days: u32,
}

fn order_completed() -> String {
    events::ORDER_COMPLETED.into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ExitRule))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Exit {
    /// Leave on this event (e.g. `Ticket Opened`, `Contact Removed`).
    Event { event: String },
    /// Leave when, at a step, the person matches this segment rule.
    Rule { rule: String },
}

/// May a person enter again?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reentry {
    /// Once ever.
    #[default]
    Once,
    /// Again once `days` have passed since they last entered.
    After { days: u32 },
    /// Every time the trigger fires, unless they are in it now.
    Always,
}

impl Definition {
    /// Every rule the journey holds, with the field it is written in: the audience, each
    /// branch and each rule exit.
    pub fn rules(&self) -> Vec<(String, &str)> {
        let audience = self.audience.as_deref().map(|r| ("audience".to_string(), r));
        let branches = self.steps.iter().enumerate().filter_map(|(i, s)| match &s.action {
            Action::Branch { rule, .. } => Some((format!("steps[{i}].rule"), rule.as_str())),
            _ => None,
        });
        let exits = self.exit.iter().enumerate().filter_map(|(i, e)| match e {
            Exit::Rule { rule } => Some((format!("exit[{i}].rule"), rule.as_str())),
            Exit::Event { .. } => None,
        });
        audience.into_iter().chain(branches).chain(exits).collect()
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The event names that matter to people inside: the goal, the event exits and the
    /// action paths.
    pub fn watched_events(&self) -> impl Iterator<Item = &str> {
        let paths = self.steps.iter().flat_map(|s| match &s.action {
            Action::WaitFor { paths, .. } => paths.iter().map(|p| p.event.as_str()).collect(),
            _ => Vec::new(),
        });
        self.goal
            .iter()
            .map(|g| g.event.as_str())
            .chain(self.exit.iter().filter_map(|e| match e {
                Exit::Event { event } => Some(event.as_str()),
                Exit::Rule { .. } => None,
            }))
            .chain(paths)
    }
}

impl Action {
    /// The steps this one can lead to besides `next`.
    pub fn targets(&self) -> Vec<&str> {
        match self {
            Action::Branch { then, otherwise, .. } => vec![then, otherwise],
            Action::Split { variants, .. } => variants.iter().map(|v| v.next.as_str()).collect(),
            Action::WaitFor { paths, on_timeout, .. } => {
                paths.iter().map(|p| p.next.as_str()).chain(on_timeout.as_deref()).collect()
            }
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod spent_tests {
    use super::*;

    /// Issue 16: a one-off scheduled journey stayed 运行中 forever.
    #[test]
    fn a_one_off_schedule_is_spent_once_its_moment_passed() {
        let at: DateTime<Utc> = "2026-05-01T02:00:00Z".parse().unwrap();
        let once = Trigger::Schedule { once_at: Some(at), daily_at: None, weekdays: vec![] };
        assert!(!once.spent(at - chrono::Duration::minutes(1)));
        assert!(once.spent(at));
        let daily = Trigger::Schedule {
            once_at: None,
            daily_at: Some(crate::outreach::LocalTime::hm(10, 0)),
            weekdays: vec![],
        };
        assert!(!daily.spent(at + chrono::Duration::days(365)), "a daily schedule never is");
        let event = Trigger::Event { event: "Order Completed".into(), properties: Default::default() };
        assert!(!event.spent(at));
    }
}
