//! A send step's fallback channels on a real (SQLite) store with the clock held still: WeCom
//! falls to SMS when the customer removed the staff member, and when WeCom is capped for the
//! day; the channel taken is logged on the step. Priorities: a higher-priority journey takes
//! the slot a lower one queued.

mod common;

use common::{Shop, at, template};
use rekindle_core::outreach::{CapsConfig, ChannelKind};
use rekindle_core::{JourneyId, PersonId};
use rekindle_store::prelude::*;
use rekindle_store::{OutboxMessage, OutboxState};
use serde_json::{Value, json};

/// 12:00 in Shanghai, outside quiet hours.
const NOON: &str = "2026-05-01T04:00:00Z";

async fn shop() -> Shop {
    let s = Shop::open(at(NOON), CapsConfig::default()).await;
    let text = "{{nickname|亲}}，最近还好吗？拒收请回复R";
    for t in
        [template("关怀", ChannelKind::Wecom, text, None), template("关怀短信", ChannelKind::Sms, text, Some("SMS_1"))]
    {
        s.store.put_message_template(s.ws, &t).await.unwrap();
    }
    s
}

fn track(user: &str, name: &str, id: &str, properties: Value) -> Value {
    common::track(user, name, id, "2026-05-01T03:50:00Z", properties)
}

impl Shop {
    async fn append(&self, messages: Vec<Value>) {
        common::append(self, messages).await;
    }

    /// A customer on WeCom (a friend of staff member s-1) with a phone.
    async fn customer(&self, user: &str, phone: &str, removed: bool) -> PersonId {
        let identify = json!({"type": "identify", "userId": user, "messageId": format!("id-{user}"),
            "timestamp": "2026-05-01T03:00:00Z",
            "traits": {"phone": phone, "wecom_external_userid": format!("wm-{user}")}});
        let added = json!({"type": "track", "event": "Contact Added", "userId": user, "messageId": format!("ca-{user}"),
            "timestamp": "2026-05-01T03:01:00Z", "properties": {"channel": "wecom", "staff_id": "s-1"}});
        let mut events = vec![identify, added];
        if removed {
            // What the WeCom callback records when the customer deletes the staff member.
            events.push(json!({"type": "track", "event": "Contact Removed", "userId": user,
                "messageId": format!("cr-{user}"), "timestamp": "2026-05-01T03:02:00Z",
                "properties": {"channel": "wecom", "staff_id": "s-1", "by": "customer"}}));
        }
        self.append(events).await;
        common::person(self, user).await
    }

    async fn publish(&self, name: &str, event: &str, send: Value, limits: Value) -> JourneyId {
        let mut d = json!({"trigger": {"type": "event", "event": event}, "steps": [send]});
        if !limits.is_null() {
            d["limits"] = limits;
        }
        common::publish(self, name, d).await
    }

    async fn run(&self) {
        self.engine.refresh(self.ws).await.unwrap();
        self.runner.run(self.ws).await.unwrap();
    }

    async fn messages(&self, person: PersonId) -> Vec<OutboxMessage> {
        let mut all = self.store.messages(self.ws, Some(person), 50).await.unwrap();
        all.reverse();
        all
    }

    async fn step_outcomes(&self, journey: JourneyId) -> Vec<String> {
        let rows = self.store.journey_step_counts(self.ws, journey).await.unwrap();
        rows.into_iter().map(|r| r.outcome).collect()
    }
}

fn wecom_then_sms() -> Value {
    json!({"id": "care", "type": "send", "channel": "wecom", "template": "关怀",
           "fallback": [{"channel": "sms", "template": "关怀短信"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_falls_to_sms_when_the_customer_removed_the_staff_member() {
    let s = shop().await;
    let journey = s.publish("关怀", "Live Entered", wecom_then_sms(), Value::Null).await;
    let (gone, friend) =
        (s.customer("gone", "13800138001", true).await, s.customer("friend", "13800138002", false).await);
    s.append(vec![
        track("gone", "Live Entered", "le-gone", json!({})),
        track("friend", "Live Entered", "le-f", json!({})),
    ])
    .await;
    s.run().await;

    let to_gone = s.messages(gone).await;
    assert_eq!(to_gone.len(), 1, "one message, on one channel: {to_gone:?}");
    assert_eq!((to_gone[0].channel, to_gone[0].state), (ChannelKind::Sms, OutboxState::Queued));
    assert_eq!(to_gone[0].recipient, "+8613800138001");
    assert_eq!(to_gone[0].template.as_deref(), Some("SMS_1"), "the fallback's own template");
    let to_friend = s.messages(friend).await;
    assert_eq!((to_friend[0].channel, to_friend[0].sender.as_deref()), (ChannelKind::Wecom, Some("s-1")));
    let outcomes = s.step_outcomes(journey).await;
    assert!(outcomes.contains(&"channel:sms".to_owned()) && outcomes.contains(&"channel:wecom".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capped_wecom_falls_to_sms_and_a_higher_priority_takes_a_queued_slot() {
    let s = shop().await;
    let plain = json!({"id": "hello", "type": "send", "channel": "wecom", "template": "关怀"});
    s.publish("问候", "Live Entered", plain.clone(), Value::Null).await;
    let second = s.publish("关怀", "Live Left", wecom_then_sms(), Value::Null).await;
    let a = s.customer("a", "13800138003", false).await;
    s.append(vec![track("a", "Live Entered", "le-a", json!({}))]).await;
    s.run().await;
    s.append(vec![track("a", "Live Left", "ll-a", json!({}))]).await;
    s.run().await;
    let got = s.messages(a).await;
    let channels: Vec<_> = got.iter().map(|m| (m.channel, m.state)).collect();
    assert_eq!(channels, [(ChannelKind::Wecom, OutboxState::Queued), (ChannelKind::Sms, OutboxState::Queued)]);
    assert!(s.step_outcomes(second).await.contains(&"channel:sms".to_owned()));

    // Two marketing messages a day in all: a third journey of priority 8 takes the slot of the
    // queued priority-5 WeCom message, which its journey defers to the next day.
    let b = s.customer("b", "13800138004", false).await;
    s.publish("普通", "Live Shared", plain, json!({"priority": 3, "when_capped": "defer"})).await;
    let sms_only = json!({"id": "remind", "type": "send", "channel": "sms", "template": "关怀短信"});
    s.publish("补货", "Live Liked", sms_only.clone(), Value::Null).await;
    s.publish(
        "急",
        "Live Commented",
        json!({"id": "urgent", "type": "send", "channel": "wecom", "template": "关怀"}),
        json!({"priority": 8}),
    )
    .await;
    for (name, id) in [("Live Shared", "ls-b"), ("Live Liked", "lk-b"), ("Live Commented", "lc-b")] {
        s.append(vec![track("b", name, id, json!({}))]).await;
        s.run().await;
    }
    let got = s.messages(b).await;
    let seen: Vec<_> = got.iter().map(|m| (m.step.as_deref().unwrap_or(""), m.state, m.day.to_string())).collect();
    assert_eq!(
        seen,
        [
            ("hello", OutboxState::Queued, "2026-05-02".into()),
            ("remind", OutboxState::Queued, "2026-05-01".into()),
            ("urgent", OutboxState::Queued, "2026-05-01".into()),
        ],
        "{got:?}"
    );
}
