//! `send_time: personal` (docs/journeys.md, "Send time"): a message held to the person's own
//! active hour, outside quiet hours, at once without history; and its gain on the simulator,
//! whose members read a message more often when it arrives at their own hour
//! (`rekindle_sim::SendHour`): one message per person, half at a fixed 10:00, half at their
//! personal hour, compared on read, click and order within 48 hours.

mod common;

use chrono::{DateTime, Utc};
use common::{Shop, append, at, publish_at, template};
use rekindle_core::outreach::{CapsConfig, ChannelKind};
use rekindle_core::{IdentifierKind, PersonId};
use rekindle_sim::{SendHour, SimConfig, Simulation};
use rekindle_store::prelude::*;
use rekindle_store::{OutboxMessage, OutboxState};
use serde_json::json;

async fn shop(now: DateTime<Utc>) -> Shop {
    // The default caps: quiet hours 21:00–09:00 on SMS.
    let s = Shop::open(now, CapsConfig::default()).await;
    let template = template("hi", ChannelKind::Sms, "新品到了，来看看吧，拒收请回复R", Some("SMS_1"));
    s.store.put_message_template(s.ws, &template).await.unwrap();
    s
}

async fn person(s: &Shop, user: &str) -> Option<PersonId> {
    common::person_by(&*s.store, s.ws, IdentifierKind::UserId, user).await
}

async fn queued(s: &Shop, p: PersonId) -> Option<OutboxMessage> {
    s.store.messages(s.ws, Some(p), 10).await.unwrap().into_iter().find(|m| m.state == OutboxState::Queued)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_to_each_persons_hour_outside_quiet_hours_and_at_once_without_history() {
    // 10:00 in Shanghai.
    let now = at("2026-05-01T02:00:00Z");
    let s = shop(now).await;
    let mut history = Vec::new();
    for (user, phone) in [("evening", "13800138001"), ("late", "13800138002"), ("new", "13800138003")] {
        history.push(json!({"type": "identify", "userId": user, "messageId": format!("id-{user}"),
            "timestamp": "2026-04-01T02:00:00Z", "traits": {"phone": phone}}));
    }
    // evening orders at 19:xx local, late at 22:xx (inside quiet hours), new never.
    for (user, hour_utc) in [("evening", 11), ("late", 14)] {
        for day in 10..14 {
            let t = format!("2026-04-{day}T{hour_utc}:{:02}:00Z", day * 3);
            history.push(json!({"type": "track", "event": "Order Completed", "userId": user,
                "messageId": format!("o-{user}-{day}"), "timestamp": t,
                "properties": {"order_id": format!("{user}-{day}"), "revenue": 30}}));
        }
    }
    append(&s, history).await;
    publish_at(
        &s,
        "send time",
        json!({"trigger": {"type": "event", "event": "Nudge"},
               "steps": [{"id": "hi", "type": "send", "channel": "sms", "template": "hi", "send_time": "personal"}]}),
        now - chrono::Duration::days(1),
    )
    .await;
    let triggers = ["evening", "late", "new"].map(|u| {
        json!({"type": "track", "event": "Nudge", "userId": u, "messageId": format!("n-{u}"), "timestamp": now.to_rfc3339()})
    });
    append(&s, triggers.to_vec()).await;
    s.engine.refresh(s.ws).await.unwrap();
    let pass = s.runner.run(s.ws).await.unwrap();
    assert_eq!((pass.entered, pass.queued), (3, 3), "{pass:?}");
    let when = |m: OutboxMessage| (m.not_before, m.day.to_string());
    let evening = queued(&s, person(&s, "evening").await.unwrap()).await.unwrap();
    assert_eq!(when(evening), (at("2026-05-01T11:00:00Z"), "2026-05-01".into()), "19:00 today");
    let late = queued(&s, person(&s, "late").await.unwrap()).await.unwrap();
    assert_eq!(when(late), (at("2026-05-01T12:00:00Z"), "2026-05-01".into()), "20:00, the hour before quiet hours");
    let new = queued(&s, person(&s, "new").await.unwrap()).await.unwrap();
    assert_eq!(new.not_before, now, "no history: at once");
}

const PEOPLE: u64 = 5000;
const SEED: u64 = 23;

/// The measurement docs/journeys.md quotes ("Send time"); `--nocapture` prints it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_simulator_the_personal_hour_is_read_more_than_a_fixed_hour() {
    let config = SimConfig { people: PEOPLE, days: 90, seed: SEED, winback: None, ..SimConfig::default() };
    // 10:00 in Shanghai, the morning after the history ends.
    let end = config.start + chrono::Days::new(u64::from(config.days));
    let now = end.and_hms_opt(2, 0, 0).unwrap().and_utc();
    let sim = Simulation::new(config);
    let s = shop(now).await;
    let mut batch = Vec::new();
    let mut buyers = Vec::new();
    for i in 0..PEOPLE {
        let (events, truth) = sim.person(i);
        batch.extend(events);
        // The store's current customers (the simulator's members who left answer nothing).
        if truth.orders > 0 && truth.alive_at_end {
            buyers.push(i);
        }
        if batch.len() > 5000 {
            append(&s, std::mem::take(&mut batch)).await;
        }
    }
    append(&s, batch).await;
    let j = publish_at(
        &s,
        "send time",
        json!({"trigger": {"type": "event", "event": "Campaign"},
               "steps": [
                 {"id": "split", "type": "split", "holdout_percent": 0, "variants": [
                   {"name": "fixed", "percent": 50, "next": "now"}, {"name": "personal", "percent": 50, "next": "own"}]},
                 {"id": "now", "type": "send", "channel": "sms", "template": "hi"},
                 {"id": "own", "type": "send", "channel": "sms", "template": "hi", "send_time": "personal"}]}),
        now - chrono::Duration::days(1),
    )
    .await;
    let triggers = buyers.iter().map(|i| {
        json!({"type": "track", "event": "Campaign", "userId": format!("m{SEED}-{i}"), "messageId": format!("c-{i}"),
               "timestamp": now.to_rfc3339()})
    });
    append(&s, triggers.collect()).await;
    s.engine.refresh(s.ws).await.unwrap();
    s.runner.run(s.ws).await.unwrap();

    // [sent, read, clicked, ordered] by arm; each message answered as it arrives (not_before).
    let respond = SendHour::default();
    let tz = chrono_tz::Asia::Shanghai;
    let mut arms = [[0u32; 4]; 2];
    for &i in &buyers {
        let Some(p) = person(&s, &format!("m{SEED}-{i}")).await else { continue };
        let Some(m) = queued(&s, p).await else { continue };
        assert_eq!(m.journey, Some(j));
        let arm = usize::from(m.variant.as_deref() == Some("personal"));
        assert!(m.not_before >= now && m.not_before - now < chrono::Duration::hours(24));
        let r = respond.answer(&sim, i, m.not_before.with_timezone(&tz).naive_local(), &m.send_key);
        for (k, hit) in [true, r.read, r.clicked, r.ordered].into_iter().enumerate() {
            arms[arm][k] += u32::from(hit);
        }
    }
    let rate = |a: [u32; 4], k: usize| f64::from(a[k]) / f64::from(a[0]);
    for (name, a) in ["fixed 10:00", "personal"].iter().zip(arms) {
        println!(
            "{name}: sent {}, read {:.1}%, clicked {:.1}%, ordered {:.1}% within 48 h",
            a[0],
            100.0 * rate(a, 1),
            100.0 * rate(a, 2),
            100.0 * rate(a, 3)
        );
    }
    let [fixed, personal] = arms;
    assert!(fixed[0] > 300 && personal[0] > 300, "both arms sent: {arms:?}");
    // Planted: 60% at the hour against 25% four or more hours away (10:00 is two hours from
    // the 8:00 and 12:00 shoppers, nine or more from the evening ones).
    assert!(rate(personal, 1) > rate(fixed, 1) + 0.1, "{arms:?}");
    assert!(rate(personal, 3) > rate(fixed, 3), "{arms:?}");
}
