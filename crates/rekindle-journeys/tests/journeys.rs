//! Journeys end to end on a real (SQLite) store, with the clock held still: people enter on
//! events, walk to waits, wake, convert; caps, quiet hours, opt-outs and open tickets hold; and
//! the repurchase reminder reaches exactly the people whose predicted run-out is near.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use common::{Shop, append, at, person, publish, template, track};
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::message::Arrival;
use rekindle_core::outreach::{CapsConfig, ChannelKind, CouponDefinition, CouponValue, MessageTemplate, TemplateParam};
use rekindle_core::{JourneyId, Message, PersonId};
use rekindle_engine::{Engine, Judging};
use rekindle_journeys::Runner;
use rekindle_store::prelude::*;
use rekindle_store::{EnrollmentState, OutboxState, Source};
use rekindle_store_sqlite::SqliteStore;
use serde_json::{Value, json};

async fn shop(now: DateTime<Utc>, caps: CapsConfig) -> Shop {
    Shop::with_runner(now, |store, engine| live_runner(store, engine, caps)).await
}

/// A runner as `serve` makes it: reading the live rooms too.
fn live_runner(store: &Arc<SqliteStore>, engine: &Arc<Engine>, caps: CapsConfig) -> Runner {
    let rooms = Arc::new(rekindle_engine::live::LiveRooms::new(store.clone(), engine.clone()));
    Runner::new(store.clone(), engine.clone(), caps).with_live(rooms)
}

fn identify(user: &str, phone: &str, external: &str, t: &str) -> Value {
    json!({"type": "identify", "userId": user, "messageId": format!("id-{user}"), "timestamp": t,
           "traits": {"phone": phone, "wecom_external_userid": external, "nickname": format!("{user}姐")}})
}

fn order(user: &str, id: &str, t: &str, product: &str) -> Value {
    json!({"type": "track", "event": "Order Completed", "userId": user, "messageId": format!("o-{id}"), "timestamp": t,
           "properties": {"order_id": id, "revenue": 39.9, "products": [{"sku": "oat-1", "name": product, "category": "燕麦", "price": 39.9, "quantity": 1}]}})
}

fn wecom_template(name: &str, text: &str) -> MessageTemplate {
    template(name, ChannelKind::Wecom, text, None)
}

fn sms_template(name: &str) -> MessageTemplate {
    MessageTemplate {
        params: vec![
            TemplateParam { name: "name".into(), value: "{{nickname|亲}}".into() },
            TemplateParam { name: "product".into(), value: "{{last_product}}".into() },
        ],
        ..template(
            name,
            ChannelKind::Sms,
            "{{nickname|亲}}，您的{{last_product}}快吃完了，{{coupon|专属优惠}}已到账，拒收请回复R",
            Some("SMS_123"),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_order_care_walks_waits_holds_for_quiet_hours_and_converts() {
    // 12:00 in Shanghai.
    let s = shop(at("2026-05-01T04:00:00Z"), CapsConfig::default()).await;
    s.store
        .put_message_template(s.ws, &wecom_template("care", "{{nickname|亲}}，{{last_product}}收到了吗？"))
        .await
        .unwrap();
    s.store.put_message_template(s.ws, &sms_template("reminder")).await.unwrap();
    let coupon = CouponDefinition {
        name: "85折".into(),
        title: "复购券".into(),
        value: CouponValue::Discount { percent: 85 },
        threshold_fen: 0,
        valid_days: 7,
        per_person_limit: 1,
    };
    s.store.put_coupon(s.ws, &coupon).await.unwrap();
    let journey = publish(
        &s,
        "首单关怀",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [
                {"id": "care", "type": "send", "channel": "wecom", "template": "care", "next": "wait"},
                {"id": "wait", "type": "wait", "minutes": 600, "next": "coupon"},
                {"id": "coupon", "type": "coupon", "coupon": "85折", "next": "remind"},
                {"id": "remind", "type": "send", "channel": "sms", "template": "reminder"},
            ],
            "goal": {"event": "Order Completed", "within_days": 7},
            "exit": [{"type": "event", "event": "Contact Removed"}],
            "reentry": {"type": "once"},
        }),
    )
    .await;
    append(
        &s,
        vec![
            identify("a", "13800138001", "wm-a", "2026-05-01T03:00:00Z"),
            identify("b", "13800138002", "wm-b", "2026-05-01T03:00:00Z"),
            identify("c", "13800138003", "wm-c", "2026-05-01T03:00:00Z"),
            track(
                "a",
                "Contact Added",
                "ca",
                "2026-05-01T03:00:00Z",
                json!({"channel": "wecom", "staff_id": "staff-1"}),
            ),
            track("b", "Unsubscribed", "ub", "2026-05-01T03:10:00Z", json!({"channel": "wecom"})),
            track("c", "Ticket Opened", "tc", "2026-05-01T03:20:00Z", json!({"ticket_id": "t-1", "reason": "spoiled"})),
            order("a", "1", "2026-05-01T03:30:00Z", "高山燕麦片"),
            order("b", "2", "2026-05-01T03:30:00Z", "高山燕麦片"),
            order("c", "3", "2026-05-01T03:30:00Z", "高山燕麦片"),
        ],
    )
    .await;
    s.engine.refresh(s.ws).await.unwrap();
    let pass = s.runner.run(s.ws).await.unwrap();
    assert_eq!((pass.entered, pass.queued, pass.skipped), (3, 1, 2), "{pass:?}");
    let (a, b, c) = (person(&s, "a").await, person(&s, "b").await, person(&s, "c").await);
    let sent_a = s.store.messages(s.ws, Some(a), 10).await.unwrap();
    assert_eq!(sent_a.len(), 1);
    assert_eq!(sent_a[0].body["text"], "a姐，高山燕麦片收到了吗？");
    assert_eq!((sent_a[0].recipient.as_str(), sent_a[0].sender.as_deref()), ("wm-a", Some("staff-1")));
    let skip = |m: &rekindle_store::OutboxMessage| (m.state, m.error_code.clone());
    let b_msgs = s.store.messages(s.ws, Some(b), 10).await.unwrap();
    assert_eq!(skip(&b_msgs[0]), (OutboxState::Skipped, Some("opted_out".into())));
    let c_msgs = s.store.messages(s.ws, Some(c), 10).await.unwrap();
    assert_eq!(skip(&c_msgs[0]), (OutboxState::Skipped, Some("open_ticket".into())));

    // Running again, even from the start of the log, enters and sends nobody twice.
    s.store.set_journey_cursor(s.ws, 0).await.unwrap();
    let again = s.runner.run(s.ws).await.unwrap();
    assert_eq!((again.entered, again.queued), (0, 0), "{again:?}");
    // (The cursor only moves forward, so the log was not re-read; re-reading it would find the
    // same trigger keys.)

    // Ten hours later it is 22:00 in Shanghai: the SMS waits for the end of quiet hours.
    s.hands.set(at("2026-05-01T14:00:00Z"));
    let woke = s.runner.run(s.ws).await.unwrap();
    assert_eq!(woke.walked, 3, "{woke:?}");
    let reminder = s.store.messages(s.ws, Some(a), 10).await.unwrap().remove(0);
    assert_eq!(reminder.channel, ChannelKind::Sms);
    assert_eq!(reminder.not_before, at("2026-05-02T01:00:00Z"), "held until 09:00 local");
    assert_eq!(reminder.day.to_string(), "2026-05-02", "counted on the day it goes out");
    assert!(reminder.body["text"].as_str().unwrap().contains("复购券（85折）已到账"), "{}", reminder.body);
    assert_eq!(s.store.person_coupons(s.ws, a).await.unwrap().len(), 1);

    // a orders again within the week: converted.
    append(&s, vec![order("a", "4", "2026-05-03T03:30:00Z", "燕麦片")]).await;
    s.hands.set(at("2026-05-03T04:00:00Z"));
    let p = s.runner.run(s.ws).await.unwrap();
    assert_eq!(p.closed, 1);
    let conversions = s.store.journey_conversions(s.ws, journey).await.unwrap();
    let totals = conversions.iter().fold((0, 0), |t, c| (t.0 + c.entered, t.1 + c.converted));
    assert_eq!(totals, (3, 1));
    let enrollments = s.store.person_enrollments(s.ws, a).await.unwrap();
    assert_eq!(enrollments[0].state, EnrollmentState::Converted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_journeys_and_runners_for_the_same_people_never_exceed_a_cap() {
    let caps = CapsConfig {
        per_channel_per_day: [(ChannelKind::Sms, 1), (ChannelKind::Wecom, 1)].into_iter().collect(),
        per_day: 2,
        ..CapsConfig::default()
    };
    let s = shop(at("2026-05-01T04:00:00Z"), caps.clone()).await;
    s.store.put_message_template(s.ws, &sms_template("reminder")).await.unwrap();
    s.store.put_message_template(s.ws, &wecom_template("care", "{{nickname|亲}}，你好")).await.unwrap();
    for i in 0..10 {
        let channel = if i % 2 == 0 { "sms" } else { "wecom" };
        let template = if i % 2 == 0 { "reminder" } else { "care" };
        publish(
            &s,
            &format!("j{i}"),
            json!({
                "trigger": {"type": "event", "event": "Order Completed"},
                "steps": [{"id": "send", "type": "send", "channel": channel, "template": template}],
                "reentry": {"type": "always"},
            }),
        )
        .await;
    }
    let mut events = Vec::new();
    for p in 0..20 {
        let user = format!("u{p}");
        events.push(identify(&user, &format!("1390000{p:04}"), &format!("wm-{p}"), "2026-05-01T03:00:00Z"));
        events.push(order(&user, &format!("{p}-1"), "2026-05-01T03:30:00Z", "燕麦"));
        events.push(order(&user, &format!("{p}-2"), "2026-05-01T03:40:00Z", "燕麦"));
    }
    append(&s, events).await;
    s.engine.refresh(s.ws).await.unwrap();
    // Four runners (as on four nodes) read the same log at once.
    let runners: Vec<Arc<Runner>> =
        (0..4).map(|_| Arc::new(Runner::new(s.store.clone(), s.engine.clone(), caps.clone()))).collect();
    let tasks: Vec<_> = runners
        .iter()
        .map(|r| {
            let (r, ws) = (r.clone(), s.ws);
            tokio::spawn(async move { r.events(ws).await.unwrap() })
        })
        .collect();
    let mut entered = 0;
    for t in tasks {
        entered += t.await.unwrap().entered;
    }
    assert_eq!(entered, 20 * 2 * 10, "every order enters every journey once, whichever runner saw it");
    let all = s.store.messages(s.ws, None, 10_000).await.unwrap();
    assert_eq!(all.len(), 400, "one message per enrollment, each send key once");
    let mut per_person: HashMap<(PersonId, ChannelKind), usize> = HashMap::new();
    for m in all.iter().filter(|m| m.state == OutboxState::Queued) {
        *per_person.entry((m.person, m.channel)).or_default() += 1;
    }
    let mut reasons: HashMap<(ChannelKind, Option<String>), usize> = HashMap::new();
    for m in &all {
        *reasons.entry((m.channel, m.error_code.clone())).or_default() += 1;
    }
    assert_eq!(per_person.len(), 40, "each person gets one SMS and one WeCom message: {reasons:?}");
    assert!(per_person.values().all(|&n| n == 1), "{per_person:?}");
    let skipped = all.iter().filter(|m| m.state == OutboxState::Skipped).count();
    assert_eq!(skipped, 400 - 40);
}

/// The shipped repurchase reminder's shape on a simulated store: at 22:00 on the last day, the
/// people whose predicted run-out of anything falls within two days get one SMS each (a second
/// run-out does not enter them again within the fortnight), held until 09:00, with an 85折
/// coupon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repurchase_reminder_reaches_exactly_the_people_running_out_outside_quiet_hours() {
    use rekindle_sim::{SimConfig, Simulation};
    let config = SimConfig { people: 1500, days: 120, seed: 8, ..SimConfig::default() };
    let end = config.start + chrono::Days::new(u64::from(config.days));
    // 22:00 on the last day in Shanghai.
    let now =
        chrono::TimeZone::from_utc_datetime(&Utc, &end.and_hms_opt(0, 0, 0).unwrap()) - chrono::Duration::hours(10);
    let s = shop(now, CapsConfig::default()).await;
    let sim = Simulation::new(config.clone());
    s.store.put_products(s.ws, sim.products()).await.unwrap();
    let arrival = Arrival { historical: true, ..Arrival::live(Utc::now()) };
    let mut messages = Vec::new();
    for i in 0..config.people {
        for e in sim.person(i).0 {
            let Value::Object(o) = e else { continue };
            let id = o.get("messageId").and_then(Value::as_str).unwrap_or_default().to_string();
            messages.push(Message::from_object(o, None, &arrival, id.as_bytes()).unwrap());
        }
    }
    s.store.append(s.ws, messages, &Source("sim".into()), &IdentityPolicy::default()).await.unwrap();
    s.store.put_message_template(s.ws, &sms_template("reminder")).await.unwrap();
    let coupon = CouponDefinition {
        name: "复购85折".into(),
        title: "复购券".into(),
        value: CouponValue::Discount { percent: 85 },
        threshold_fen: 0,
        valid_days: 7,
        per_person_limit: 5,
    };
    s.store.put_coupon(s.ws, &coupon).await.unwrap();
    publish(
        &s,
        "复购提醒",
        json!({
            "trigger": {"type": "depletion", "days_before": 2},
            "steps": [
                {"id": "coupon", "type": "coupon", "coupon": "复购85折", "next": "remind"},
                {"id": "remind", "type": "send", "channel": "sms", "template": "reminder"},
            ],
            "goal": {"within_days": 7},
            // As shipped: once a fortnight at most, whatever else runs out.
            "reentry": {"type": "after", "days": 14},
        }),
    )
    .await;
    let (audience, _) = s.engine.refresh(s.ws).await.unwrap();
    let window = now + chrono::Duration::days(2);
    let expected: std::collections::BTreeSet<PersonId> = audience
        .members
        .iter()
        .filter(|m| m.scores.as_ref().is_some_and(|sc| sc.run_outs.iter().any(|r| r.at > now && r.at <= window)))
        .map(|m| m.person)
        .collect();
    assert!(expected.len() > 20, "the simulated store has people running out: {}", expected.len());

    let pass = s.runner.run(s.ws).await.unwrap();
    let all = s.store.messages(s.ws, None, 100_000).await.unwrap();
    let queued: Vec<_> = all.iter().filter(|m| m.state == OutboxState::Queued).collect();
    let reached: std::collections::BTreeSet<PersonId> = queued.iter().map(|m| m.person).collect();
    assert_eq!(reached, expected, "exactly the people running out within two days");
    assert_eq!(queued.len(), expected.len(), "one SMS each: {pass:?}");
    let tomorrow_nine = now + chrono::Duration::hours(11);
    assert!(queued.iter().all(|m| m.not_before == tomorrow_nine), "held until 09:00, outside quiet hours");
    assert!(queued.iter().all(|m| m.day == (end)), "counted on the day they go out");
    let extra = all.iter().filter(|m| m.state == OutboxState::Skipped).collect::<Vec<_>>();
    assert!(extra.iter().all(|m| m.error_code.as_deref() == Some("channel_daily_cap")), "only caps skip");
    assert!(queued.iter().all(|m| m.body["text"].as_str().unwrap().contains("复购券（85折）")));
    // Another runner (a restart, another node) looks again: the same run-outs, nobody twice.
    let fresh = Runner::new(s.store.clone(), s.engine.clone(), CapsConfig::default());
    let again = fresh.run(s.ws).await.unwrap();
    assert_eq!((again.entered, again.queued), (0, 0), "{again:?}");
    println!(
        "{} people running out within two days of {now}; {} run-outs skipped by the daily cap",
        expected.len(),
        extra.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn birthday_greetings_go_once_at_the_set_time_to_whoever_has_a_birthday_in_n_days() {
    // 08:30 in Shanghai on 1 March 2027, a year without a 29 February.
    let morning = at("2027-03-01T00:30:00Z");
    let s = shop(morning, CapsConfig::default()).await;
    let said = |user: &str, birthday: &str, t: &str| {
        json!({"type": "identify", "userId": user, "messageId": format!("b-{user}-{t}"), "timestamp": t,
               "traits": {"wecom_external_userid": format!("wm-{user}"), "nickname": user, "birthday": birthday}})
    };
    append(
        &s,
        vec![
            said("mar3", "1990-03-03", "2027-02-20T02:00:00Z"),
            said("mar3-chinese", "3月3日", "2027-02-20T02:00:00Z"),
            said("mar4", "1988-03-04", "2027-02-20T02:00:00Z"),
            // Said 3 March once, then corrected to 5 March: the later word counts.
            said("moved", "03-03", "2027-02-10T02:00:00Z"),
            said("moved", "1995-03-05", "2027-02-21T02:00:00Z"),
            said("unsaid", "保密", "2027-02-20T02:00:00Z"),
        ],
    )
    .await;
    s.store.put_message_template(s.ws, &wecom_template("生日", "{{nickname}}，生日快乐！")).await.unwrap();
    publish(
        &s,
        "生日关怀",
        json!({
            "trigger": {"type": "birthday", "days_before": 2, "at": "10:00"},
            "steps": [{"id": "greet", "type": "send", "channel": "wecom", "template": "生日"}],
            "reentry": {"type": "after", "days": 300},
        }),
    )
    .await;
    s.engine.refresh(s.ws).await.unwrap();

    // Before 10:00 nobody is greeted.
    let early = s.runner.run(s.ws).await.unwrap();
    assert_eq!(early.entered, 0, "{early:?}");
    // At 10:00: the two born on 3 March, two days ahead.
    s.hands.set(at("2027-03-01T02:00:00Z"));
    let pass = s.runner.run(s.ws).await.unwrap();
    assert_eq!(pass.entered, 2, "{pass:?}");
    let greeted: std::collections::BTreeSet<PersonId> =
        s.store.messages(s.ws, None, 100).await.unwrap().iter().map(|m| m.person).collect();
    let expected: std::collections::BTreeSet<PersonId> =
        [person(&s, "mar3").await, person(&s, "mar3-chinese").await].into();
    assert_eq!(greeted, expected);
    // Later the same day, or from another runner: nobody twice.
    s.hands.set(at("2027-03-01T09:00:00Z"));
    assert_eq!(s.runner.run(s.ws).await.unwrap().entered, 0);
    let fresh = Runner::new(s.store.clone(), s.engine.clone(), CapsConfig::default());
    assert_eq!(fresh.run(s.ws).await.unwrap().entered, 0);
    // The next day at 10:00: 4 March's.
    s.hands.set(at("2027-03-02T02:00:00Z"));
    assert_eq!(s.runner.run(s.ws).await.unwrap().entered, 1);
    assert!(s.store.messages(s.ws, Some(person(&s, "mar4").await), 10).await.unwrap().len() == 1);
    // And the one who corrected their birthday, on the day after.
    s.hands.set(at("2027-03-03T02:00:00Z"));
    assert_eq!(s.runner.run(s.ws).await.unwrap().entered, 1);
    assert!(s.store.messages(s.ws, Some(person(&s, "moved").await), 10).await.unwrap().len() == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segment_and_stage_triggers_are_not_lost_when_the_runner_stops() {
    let s = shop(at("2026-05-01T04:00:00Z"), CapsConfig::default()).await;
    s.store.put_message_template(s.ws, &wecom_template("欢迎", "{{nickname|亲}}，欢迎！")).await.unwrap();
    let segment = s
        .store
        .create_segment(
            s.ws,
            &rekindle_store::NewSegment {
                name: "下过单".into(),
                description: String::new(),
                rule: "orders >= 1".into(),
                kind: rekindle_store::SegmentKind::Custom,
                by: None,
                at: at("2026-04-01T00:00:00Z"),
            },
        )
        .await
        .unwrap();
    let send = json!([{"id": "hello", "type": "send", "channel": "wecom", "template": "欢迎"}]);
    publish(&s, "入群", json!({"trigger": {"type": "segment_entered", "segment": segment.id}, "steps": send})).await;
    publish(&s, "新客", json!({"trigger": {"type": "stage_changed", "to": "new"}, "steps": send})).await;
    append(&s, vec![identify("early", "13800000001", "wm-early", "2026-04-20T02:00:00Z")]).await;
    s.engine.refresh(s.ws).await.unwrap();
    // The runner's first look: it starts at the present (what was recorded before is history).
    assert_eq!(s.runner.run(s.ws).await.unwrap().entered, 0);

    // A first order: the engine records her entering the segment and becoming new…
    append(
        &s,
        vec![
            identify("amy", "13800000002", "wm-amy", "2026-05-01T03:00:00Z"),
            order("amy", "a1", "2026-05-01T03:10:00Z", "燕麦"),
        ],
    )
    .await;
    let (_, refreshed) = s.engine.refresh(s.ws).await.unwrap();
    assert!(refreshed.recorded.entered >= 1 && refreshed.recorded.stage_changes >= 1, "{refreshed:?}");
    // …and the process stops before its runner acts on it. Restarted (a new engine and runner
    // over the same store), it finds the changes in the store.
    let engine = Arc::new(Engine::new(s.store.clone(), Judging::default(), s.hands.clock(), std::time::Duration::ZERO));
    let restarted = Runner::new(s.store.clone(), engine, CapsConfig::default());
    let pass = restarted.run(s.ws).await.unwrap();
    assert_eq!(pass.entered, 2, "both journeys, from the recorded changes: {pass:?}");
    let amy = person(&s, "amy").await;
    let journeys: std::collections::BTreeSet<JourneyId> =
        s.store.person_enrollments(s.ws, amy).await.unwrap().iter().map(|e| e.journey).collect();
    assert_eq!(journeys.len(), 2);
    assert!(s.store.person_enrollments(s.ws, person(&s, "early").await).await.unwrap().is_empty());
    // Acted on once: neither runner, nor a third, enters anyone again.
    assert_eq!(restarted.run(s.ws).await.unwrap().entered, 0);
    assert_eq!(s.runner.run(s.ws).await.unwrap().entered, 0);
    let third = Runner::new(s.store.clone(), s.engine.clone(), CapsConfig::default());
    assert_eq!(third.run(s.ws).await.unwrap().entered, 0);
}

/// Issue 16: a win-back's message failed or was skipped, and the next step still issued the
/// coupon to someone who was never told. Now an undelivered message ends the enrollment at the
/// next step, unless the journey says to carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undelivered_message_stops_the_steps_after_it_unless_told_to_continue() {
    for (policy, coupons_for_b, state_of_b) in
        [("stop", 0, EnrollmentState::Exited), ("continue", 1, EnrollmentState::Finished)]
    {
        let s = shop(at("2026-05-01T04:00:00Z"), CapsConfig::default()).await;
        s.store.put_message_template(s.ws, &wecom_template("care", "{{nickname|亲}}，好久不见")).await.unwrap();
        let coupon = CouponDefinition {
            name: "回归礼包".into(),
            title: "回归礼包".into(),
            value: CouponValue::Discount { percent: 80 },
            threshold_fen: 0,
            valid_days: 7,
            per_person_limit: 1,
        };
        s.store.put_coupon(s.ws, &coupon).await.unwrap();
        publish(
            &s,
            "召回",
            json!({
                "trigger": {"type": "event", "event": "Order Completed"},
                "steps": [
                    {"id": "tell", "type": "send", "channel": "wecom", "template": "care", "next": "wait"},
                    {"id": "wait", "type": "wait", "minutes": 60, "next": "gift"},
                    {"id": "gift", "type": "coupon", "coupon": "回归礼包"},
                ],
                "undelivered": policy,
            }),
        )
        .await;
        append(
            &s,
            vec![
                identify("a", "13800138001", "wm-a", "2026-05-01T03:00:00Z"),
                identify("b", "13800138002", "wm-b", "2026-05-01T03:00:00Z"),
                track(
                    "a",
                    "Contact Added",
                    "ca",
                    "2026-05-01T03:00:00Z",
                    json!({"channel": "wecom", "staff_id": "s-1"}),
                ),
                track("b", "Unsubscribed", "ub", "2026-05-01T03:10:00Z", json!({"channel": "wecom"})),
                order("a", "1", "2026-05-01T03:30:00Z", "荔枝"),
                order("b", "2", "2026-05-01T03:30:00Z", "荔枝"),
            ],
        )
        .await;
        s.engine.refresh(s.ws).await.unwrap();
        s.runner.run(s.ws).await.unwrap();
        s.hands.set(at("2026-05-01T05:30:00Z"));
        s.runner.run(s.ws).await.unwrap();
        let (a, b) = (person(&s, "a").await, person(&s, "b").await);
        assert_eq!(s.store.person_coupons(s.ws, a).await.unwrap().len(), 1, "{policy}: a was told, a gets the gift");
        assert_eq!(s.store.person_coupons(s.ws, b).await.unwrap().len(), coupons_for_b, "{policy}: b was never told");
        let enrollment = s.store.person_enrollments(s.ws, b).await.unwrap().remove(0);
        assert_eq!(enrollment.state, state_of_b, "{policy}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moments_in_a_live_room_start_journeys_once_each() {
    // 19:00 in Shanghai: the session starts.
    let start = at("2026-05-01T11:00:00Z");
    let s = shop(start, CapsConfig::default()).await;
    let session = rekindle_core::objects::LiveSession {
        id: "s1".into(),
        title: "草莓专场".into(),
        topics: vec![],
        host: "小美".into(),
        scheduled_start: start,
        started_at: Some(start),
        ended_at: None,
    };
    s.store.put_live_sessions(s.ws, vec![session]).await.unwrap();
    let tagging = |trigger: Value, tag: &str| json!({"trigger": trigger, "steps": [{"id": "t", "type": "tag", "tag": tag}], "reentry": {"type": "always"}});
    let unanswered =
        publish(&s, "未回复提问", tagging(json!({"type": "live_unanswered", "seconds": 60}), "待回复")).await;
    let left = publish(&s, "早退挽回", tagging(json!({"type": "live_left", "within_minutes": 5}), "早退")).await;
    let no_order =
        publish(&s, "看了没买", tagging(json!({"type": "live_no_order", "watched_minutes": 30}), "看了没买")).await;

    let live = |user: &str, event: &str, n: usize, t: DateTime<Utc>, extra: Value| {
        let mut props = json!({"session_id": "s1"});
        props.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        track(user, event, &format!("{user}-{event}-{n}"), &t.to_rfc3339(), props)
    };
    let min = |m: i64| start + chrono::Duration::minutes(m);
    let mut events = Vec::new();
    for user in ["asker", "answered", "quick", "stayer", "buyer"] {
        events.push(live(user, "Live Entered", 0, start, json!({})));
    }
    events.push(live(
        "asker",
        "Live Commented",
        0,
        min(1),
        json!({"comment_id": "c1", "is_question": true, "text": "几斤？"}),
    ));
    events.push(live(
        "answered",
        "Live Commented",
        0,
        min(1),
        json!({"comment_id": "c2", "is_question": true, "text": "甜吗？"}),
    ));
    events.push(live(
        "answered",
        "Live Replied",
        0,
        min(1) + chrono::Duration::seconds(10),
        json!({"comment_id": "c2"}),
    ));
    events.push(live("quick", "Live Left", 0, min(2), json!({})));
    for n in 1..=240 {
        let t = start + chrono::Duration::seconds(10 * n as i64);
        events.push(live("stayer", "Live Watched", n, t, json!({"seconds": 10})));
        events.push(live("buyer", "Live Watched", n, t, json!({"seconds": 10})));
    }
    events.push(live("buyer", "Order Completed", 0, min(20), json!({"order_id": "o1", "revenue": 39.9})));
    append(&s, events).await;
    s.engine.refresh(s.ws).await.unwrap();

    let journeys_of = |user: &'static str| {
        let s = &s;
        async move {
            let p = person(s, user).await;
            let mut js: Vec<JourneyId> =
                s.store.person_enrollments(s.ws, p).await.unwrap().iter().map(|e| e.journey).collect();
            js.sort();
            js
        }
    };
    // 19:03: the question c1 has waited past a minute; c2 was answered in ten seconds; quick
    // left two minutes after arriving. The session runs on: nobody is told "watched, no order".
    s.hands.set(min(3));
    let pass = s.runner.run(s.ws).await.unwrap();
    assert_eq!(pass.entered, 2, "{pass:?}");
    assert_eq!(journeys_of("asker").await, vec![unanswered]);
    assert_eq!(journeys_of("quick").await, vec![left]);
    assert!(journeys_of("answered").await.is_empty());

    // 20:15: the room has been quiet for half an hour since 19:40, so the session is over:
    // stayer watched 40 minutes without ordering; buyer ordered. The two who asked sent no
    // heartbeat after their question at 19:01 and have long timed out: they left within five
    // minutes too. Nobody enters twice.
    s.hands.set(min(75));
    let pass = s.runner.run(s.ws).await.unwrap();
    assert_eq!(pass.entered, 3, "{pass:?}");
    assert_eq!(journeys_of("stayer").await, vec![no_order]);
    let mut asker = vec![unanswered, left];
    asker.sort();
    assert_eq!(journeys_of("asker").await, asker);
    assert_eq!(journeys_of("answered").await, vec![left]);
    assert!(journeys_of("buyer").await.is_empty());

    // A restarted runner looks at the same rooms and enters nobody again.
    let fresh = live_runner(&s.store, &s.engine, CapsConfig::default());
    let again = fresh.run(s.ws).await.unwrap();
    assert_eq!(again.entered, 0, "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journey_awards_points_to_the_person_and_their_inviter_once_per_pass() {
    let s = shop(at("2026-05-01T04:00:00Z"), CapsConfig::default()).await;
    publish(
        &s,
        "推荐积分",
        json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [
                {"id": "谢礼", "type": "award_points", "points": 30, "next": "邀请人"},
                {"id": "邀请人", "type": "award_points", "points": 50, "reason": "邀请好友首单", "to_inviter": true},
            ],
            "reentry": {"type": "always"},
        }),
    )
    .await;
    let friend = json!({"type": "identify", "userId": "friend", "messageId": "id-friend", "timestamp": "2026-05-01T03:00:00Z",
        "traits": {"invited_by": "host"}});
    append(&s, vec![identify("host", "13800138000", "wm-host", "2026-05-01T02:00:00Z"), friend]).await;
    append(&s, vec![order("friend", "f1", "2026-05-01T03:10:00Z", "燕麦")]).await;
    s.engine.refresh(s.ws).await.unwrap();
    s.runner.run(s.ws).await.unwrap();
    // Run again (a restart re-reading the same events): nothing is awarded twice.
    s.runner.run(s.ws).await.unwrap();
    let points = |user: &'static str| {
        let s = &s;
        async move {
            let p = person(s, user).await;
            let e = s.store.points_entries(s.ws, p).await.unwrap();
            e.iter().map(|e| (e.points, e.reason.clone())).collect::<Vec<_>>()
        }
    };
    assert_eq!(points("friend").await, [(30, "旅程奖励".to_string())]);
    assert_eq!(points("host").await, [(50, "邀请好友首单".to_string())]);
    // A second order is a second pass through the steps: awarded again, once.
    append(&s, vec![order("friend", "f2", "2026-05-01T03:20:00Z", "燕麦")]).await;
    s.runner.run(s.ws).await.unwrap();
    assert_eq!(points("friend").await.len(), 2);
    assert_eq!(points("host").await.len(), 2);
}

/// Issue 21: a tier's contact budget (seed 002: edge customers at most one marketing touch a
/// month) holds a marketing message for an edge customer touched in the last 30 days, and
/// nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_customer_touched_this_month_is_not_marketed_to_again() {
    let caps = CapsConfig {
        quiet_hours: Default::default(),
        per_tier_per_30d: [(rekindle_core::lifecycle::Tier::Edge, 1)].into_iter().collect(),
        ..CapsConfig::default()
    };
    let s = shop(at("2026-05-20T04:00:00Z"), caps).await;
    s.store.put_message_template(s.ws, &wecom_template("hello", "{{nickname|亲}}，新品到了")).await.unwrap();
    publish(
        &s,
        "新品",
        json!({"trigger": {"type": "event", "event": "Ping"}, "steps": [{"id": "tell", "type": "send", "channel": "wecom", "template": "hello"}]}),
    )
    .await;
    // One big spender (high); the rest small (edge); "touched" had a message 10 days ago.
    let mut history = vec![identify("big", "13800138000", "wm-big", "2026-05-01T03:00:00Z")];
    history.push(json!({"type": "track", "event": "Order Completed", "userId": "big", "messageId": "o-big", "timestamp": "2026-05-02T03:00:00Z",
        "properties": {"order_id": "big", "revenue": 2000, "products": [{"sku": "x", "name": "礼盒", "category": "礼盒", "price": 2000, "quantity": 1}]}}));
    for (i, user) in ["touched", "fresh", "e3", "e4", "e5", "e6", "e7", "e8", "e9"].iter().enumerate() {
        history.push(identify(user, &format!("1380013810{i}"), &format!("wm-{user}"), "2026-05-01T03:00:00Z"));
        // Each spends a little more than the one before: no ties to share a tier.
        let revenue = 10 + i as i64;
        history.push(
            json!({"type": "track", "event": "Order Completed", "userId": user, "messageId": format!("o-{user}"),
            "timestamp": "2026-05-03T03:00:00Z", "properties": {"order_id": format!("{user}-1"), "revenue": revenue,
            "products": [{"sku": "l", "name": "荔枝", "category": "水果", "price": revenue, "quantity": 1}]}}),
        );
    }
    history.push(track("touched", "Message Delivered", "md-1", "2026-05-10T03:00:00Z", json!({"channel": "wecom"})));
    append(&s, history).await;
    s.engine.refresh(s.ws).await.unwrap();
    let audience = s.engine.audience(s.ws).await.unwrap();
    let tier = |p| audience.member(p).unwrap().tier;
    let (touched, fresh, big) = (person(&s, "touched").await, person(&s, "fresh").await, person(&s, "big").await);
    assert_eq!(
        (tier(touched), tier(fresh)),
        (rekindle_core::lifecycle::Tier::Edge, rekindle_core::lifecycle::Tier::Edge)
    );
    assert_ne!(tier(big), rekindle_core::lifecycle::Tier::Edge);
    drop(audience);

    append(
        &s,
        ["touched", "fresh", "big"]
            .iter()
            .map(|u| track(u, "Ping", &format!("ping-{u}"), "2026-05-20T03:59:00Z", json!({})))
            .collect(),
    )
    .await;
    s.runner.run(s.ws).await.unwrap();
    let outcome = |p| {
        let store = s.store.clone();
        let ws = s.ws;
        async move {
            let m = store.messages(ws, Some(p), 10).await.unwrap().remove(0);
            (m.state, m.error_code)
        }
    };
    assert_eq!(outcome(touched).await, (OutboxState::Skipped, Some("tier_budget".into())));
    assert_eq!(outcome(fresh).await.0, OutboxState::Queued, "an edge customer not touched this month");
    assert_eq!(outcome(big).await.0, OutboxState::Queued, "no budget for the high tier");
}

/// Issue 23: "clicked but did not order in 48 h" can be written. An action path waits for the
/// first of an order or a click on this journey's message, else times out after 48 hours;
/// after the timeout a branch asks `did "Page Viewed" within 48h`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_path_takes_each_branch_and_the_timeout() {
    let caps = CapsConfig { per_day: 10, ..CapsConfig::default() };
    let s = shop(at("2026-05-01T02:00:00Z"), caps).await;
    s.store.put_message_template(s.ws, &wecom_template("offer", "{{nickname|亲}}，新品试吃")).await.unwrap();
    let journey = publish(
        &s,
        "试吃跟进",
        json!({
            "trigger": {"type": "event", "event": "Sample Requested"},
            "steps": [
                {"id": "offer", "type": "send", "channel": "wecom", "template": "offer", "next": "watch"},
                {"id": "watch", "type": "wait_for", "timeout_minutes": 2880, "on_timeout": "viewed?",
                 "paths": [{"event": "Order Completed", "next": "ordered"},
                           {"event": "Message Clicked", "this_journey": true, "next": "clicked"}]},
                {"id": "ordered", "type": "webhook", "topic": "ordered"},
                {"id": "clicked", "type": "webhook", "topic": "clicked"},
                {"id": "viewed?", "type": "branch", "rule": "did \"Page Viewed\" within 48h", "then": "viewed", "else": "quiet"},
                {"id": "viewed", "type": "webhook", "topic": "viewed"},
                {"id": "quiet", "type": "webhook", "topic": "quiet"},
            ],
        }),
    )
    .await;
    let users = ["a", "b", "c", "d"];
    let mut setup = Vec::new();
    for (i, u) in users.iter().enumerate() {
        setup.push(identify(u, &format!("1380013800{i}"), &format!("wm-{u}"), "2026-05-01T01:00:00Z"));
        setup.push(track(u, "Sample Requested", &format!("sr-{u}"), "2026-05-01T01:30:00Z", json!({})));
    }
    append(&s, setup).await;
    s.engine.refresh(s.ws).await.unwrap();
    let entered = s.runner.run(s.ws).await.unwrap();
    assert_eq!((entered.entered, entered.queued), (4, 4), "{entered:?}");

    let clicked = json!({"journey": journey.0, "url": "https://shop.example/x"});
    let other = json!({"journey": journey.0 + 1000, "url": "https://shop.example/y"});
    append(
        &s,
        vec![
            order("a", "a1", "2026-05-01T03:00:00Z", "燕麦"),
            track("b", "Message Clicked", "mc-b", "2026-05-01T04:00:00Z", clicked),
            track("c", "Page Viewed", "pv-c", "2026-05-02T01:00:00Z", json!({"path": "/goods/1"})),
            track("d", "Message Clicked", "mc-d", "2026-05-01T04:00:00Z", other),
        ],
    )
    .await;
    s.hands.set(at("2026-05-02T02:00:00Z"));
    s.engine.refresh(s.ws).await.unwrap();
    let moved = s.runner.run(s.ws).await.unwrap();
    assert_eq!(moved.walked, 2, "a ordered and b clicked; c and d still wait: {moved:?}");

    let topic = |s: &Shop, p: PersonId| {
        let store = s.store.clone();
        let ws = s.ws;
        async move {
            let messages = store.messages(ws, Some(p), 10).await.unwrap();
            messages
                .iter()
                .filter(|m| m.channel == ChannelKind::Webhook)
                .map(|m| m.body["topic"].clone())
                .collect::<Vec<_>>()
        }
    };
    let ids: Vec<PersonId> = futures_ids(&s, &users).await;
    assert_eq!(topic(&s, ids[0]).await, [json!("ordered")]);
    assert_eq!(topic(&s, ids[1]).await, [json!("clicked")]);
    assert!(topic(&s, ids[2]).await.is_empty() && topic(&s, ids[3]).await.is_empty());

    // An hour before the timeout nothing moves; at 48 hours c and d time out and branch on
    // what they did meanwhile.
    s.hands.set(at("2026-05-03T01:00:00Z"));
    assert_eq!(s.runner.run(s.ws).await.unwrap().walked, 0);
    s.hands.set(at("2026-05-03T02:00:00Z"));
    let timed_out = s.runner.run(s.ws).await.unwrap();
    assert_eq!(timed_out.walked, 2, "{timed_out:?}");
    assert_eq!(topic(&s, ids[2]).await, [json!("viewed")]);
    assert_eq!(topic(&s, ids[3]).await, [json!("quiet")], "a click on another journey's message is not this one's");

    // A late order from c, after the timeout, moves nothing: the path was not taken.
    append(&s, vec![order("c", "c1", "2026-05-03T05:00:00Z", "燕麦")]).await;
    s.hands.set(at("2026-05-03T06:00:00Z"));
    assert_eq!(s.runner.run(s.ws).await.unwrap().walked, 0);
    for (i, id) in ids.iter().enumerate() {
        let e = &s.store.person_enrollments(s.ws, *id).await.unwrap()[0];
        assert_eq!(e.state, EnrollmentState::Finished, "{}", users[i]);
    }
}

async fn futures_ids(s: &Shop, users: &[&str]) -> Vec<PersonId> {
    let mut ids = Vec::new();
    for u in users {
        ids.push(person(s, u).await);
    }
    ids
}

/// Issue 23: any profile figure is a template variable (the rule language's words), with the
/// person's stage, tier and WeCom owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_name_profile_figures() {
    let s = shop(at("2026-05-01T02:00:00Z"), CapsConfig::default()).await;
    let text = "{{nickname|亲}}：已下单{{orders}}次，共{{spend}}元，{{days_since_order}}天前，{{stage}}，{{staff|导购}}，{{clv|暂无}}";
    s.store.put_message_template(s.ws, &wecom_template("figures", text)).await.unwrap();
    publish(
        &s,
        "画像变量",
        json!({"trigger": {"type": "event", "event": "Sample Requested"},
               "steps": [{"id": "hi", "type": "send", "channel": "wecom", "template": "figures"}]}),
    )
    .await;
    append(
        &s,
        vec![
            identify("a", "13800138001", "wm-a", "2026-04-20T01:00:00Z"),
            track("a", "Contact Added", "ca", "2026-04-20T01:00:00Z", json!({"staff_id": "guide-1"})),
            order("a", "1", "2026-04-28T01:00:00Z", "燕麦"),
            order("a", "2", "2026-04-29T01:00:00Z", "燕麦"),
        ],
    )
    .await;
    s.engine.refresh(s.ws).await.unwrap();
    append(&s, vec![track("a", "Sample Requested", "sr", "2026-05-01T01:50:00Z", json!({}))]).await;
    s.runner.run(s.ws).await.unwrap();
    let a = person(&s, "a").await;
    let sent = s.store.messages(s.ws, Some(a), 10).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["text"], "a姐：已下单2次，共79.80元，2天前，新客，guide-1，暂无", "{}", sent[0].body);
}

/// Issue 23: `reachable` reads the person's record at the walk: a customer who removed their
/// only staff member is not reachable on WeCom, and one who opted out of SMS not on SMS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_asks_which_channels_reach_the_person() {
    let s = shop(at("2026-05-01T02:00:00Z"), CapsConfig::default()).await;
    publish(
        &s,
        "按渠道",
        json!({"trigger": {"type": "event", "event": "Sample Requested"},
               "steps": [
                   {"id": "wecom?", "type": "branch", "rule": "可触达 企微", "then": "wecom", "else": "sms?"},
                   {"id": "sms?", "type": "branch", "rule": "reachable sms", "then": "sms", "else": "none"},
                   {"id": "wecom", "type": "webhook", "topic": "wecom"},
                   {"id": "sms", "type": "webhook", "topic": "sms"},
                   {"id": "none", "type": "webhook", "topic": "none"}]}),
    )
    .await;
    let t = "2026-04-30T01:00:00Z";
    append(
        &s,
        vec![
            identify("a", "13800138001", "wm-a", t),
            identify("b", "13800138002", "wm-b", t),
            identify("c", "13800138003", "wm-c", t),
            track("a", "Contact Added", "ca-a", t, json!({"staff_id": "guide-1"})),
            track("b", "Contact Added", "ca-b", t, json!({"staff_id": "guide-1"})),
            track(
                "b",
                "Contact Removed",
                "cr-b",
                "2026-04-30T02:00:00Z",
                json!({"staff_id": "guide-1", "by": "customer"}),
            ),
            track("c", "Contact Added", "ca-c", t, json!({"staff_id": "guide-1"})),
            track(
                "c",
                "Contact Removed",
                "cr-c",
                "2026-04-30T02:00:00Z",
                json!({"staff_id": "guide-1", "by": "customer"}),
            ),
            track("c", "Unsubscribed", "un-c", "2026-04-30T03:00:00Z", json!({"channel": "sms"})),
        ],
    )
    .await;
    s.engine.refresh(s.ws).await.unwrap();
    let now = "2026-05-01T01:50:00Z";
    append(
        &s,
        ["a", "b", "c"].iter().map(|u| track(u, "Sample Requested", &format!("sr-{u}"), now, json!({}))).collect(),
    )
    .await;
    s.runner.run(s.ws).await.unwrap();
    for (user, topic) in [("a", "wecom"), ("b", "sms"), ("c", "none")] {
        let p = person(&s, user).await;
        let sent = s.store.messages(s.ws, Some(p), 10).await.unwrap();
        assert_eq!(sent.len(), 1, "{user}");
        assert_eq!(sent[0].body["topic"], topic, "{user}");
    }
}
