//! Journeys delivering through local stand-ins of each provider, which check signatures and
//! bodies and fail on purpose: timeouts (after delivering), 5xx, quota, refusals, throttling.
//! Whatever happens, no message reaches anyone twice, and every failure is on the person and
//! in the journey's readout.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use common::{Hands, append_to, at, dispatcher, open_store, person_by};
use rekindle_core::journey::Definition;
use rekindle_core::outreach::{CapsConfig, ChannelKind, MessageTemplate, TemplateParam};
use rekindle_core::{IdentifierKind, PersonId, WorkspaceId};
use rekindle_delivery::standin::{Fault, Provider, StandIn};
use rekindle_journeys::Runner;
use rekindle_journeys::dispatch::{DispatchConfig, Dispatcher};
use rekindle_store::NewMessage;
use rekindle_store::prelude::*;
use rekindle_store::{EventQuery, OutboxMessage, OutboxState};
use rekindle_store_sqlite::SqliteStore;
use serde_json::json;

/// The outcomes a fault leads to, per provider: (fault, state, error kind).
type Expected = Vec<(Option<Fault>, OutboxState, Option<&'static str>)>;

struct Case {
    provider: Provider,
    channel: ChannelKind,
    expected: Expected,
}

/// The cover of the WeCom template's mini-program card, as the store's CDN serves it.
const COVER: &[u8] = b"\x89PNG\r\n\x1a\n oat cover";

/// A CDN serving the cover; its address.
async fn cdn() -> String {
    let app = axum::Router::new().route("/oat.png", axum::routing::get(|| async { COVER }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/oat.png", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn template(channel: ChannelKind, cover: &str) -> MessageTemplate {
    let (provider_template, params) = match channel {
        ChannelKind::Sms | ChannelKind::Miniprogram => {
            (Some("TPL_1".to_owned()), vec![TemplateParam { name: "thing1".into(), value: "{{nickname|亲}}".into() }])
        }
        _ => (None, vec![]),
    };
    MessageTemplate {
        provider_template,
        params,
        // A WeCom message carries a card (seed 000: what the host shows, not only says).
        attachments: match channel {
            ChannelKind::Wecom => vec![rekindle_core::outreach::Attachment::Miniprogram {
                title: "燕麦专场".into(),
                appid: "wxstandin".into(),
                page: "pages/live/index.html".into(),
                // Templates the console saves must name https addresses; the test's CDN is local.
                pic_url: cover.into(),
            }],
            _ => vec![],
        },
        ..common::template("hello", channel, "{{nickname|亲}}，新到的燕麦给您留了一份，拒收请回复R", None)
    }
}

/// What a run leaves behind, for looking further.
struct Ran {
    store: Arc<SqliteStore>,
    ws: WorkspaceId,
    hands: Hands,
    standin: StandIn,
    dispatcher: Dispatcher,
    /// Each expected outcome's person and address.
    people: Vec<(PersonId, String)>,
    _dir: tempfile::TempDir,
}

async fn run(case: Case) -> Ran {
    let (dir, store, ws) = open_store().await;
    let hands = Hands::at(at("2026-05-01T04:00:00Z"));
    let engine = common::engine(&store, hands.clock());
    let caps = CapsConfig { quiet_hours: Default::default(), ..CapsConfig::default() };
    let runner = Runner::new(store.clone(), engine.clone(), caps);
    let standin = StandIn::start(case.provider).await;
    let config =
        DispatchConfig { max_attempts: 3, backoff: std::time::Duration::from_secs(60), ..DispatchConfig::default() };
    let dispatcher = dispatcher(&store, &standin, hands.clock(), config);

    store.put_message_template(ws, &template(case.channel, &cdn().await)).await.unwrap();
    let definition: Definition = serde_json::from_value(json!({
        "trigger": {"type": "event", "event": "Campaign Joined"},
        "steps": [{"id": "hello", "type": "send", "channel": case.channel, "template": "hello"}],
        "reentry": {"type": "always"},
    }))
    .unwrap();
    let before = hands.clock()() - Duration::days(1);
    let journey = store.create_journey(ws, "hello", &definition, before).await.unwrap().id;
    store.publish_journey(ws, journey, None, before).await.unwrap();

    // One person per expected outcome, reachable on the channel, with the fault on their address.
    let mut events = Vec::new();
    let mut who: Vec<(String, String)> = Vec::new();
    for i in 0..case.expected.len() {
        let user = format!("u{i}");
        let phone = format!("1380013{i:04}");
        let address = match case.channel {
            ChannelKind::Sms => phone.clone(),
            ChannelKind::Miniprogram => format!("openid-{i}"),
            ChannelKind::Wecom => format!("wm-{i}"),
            ChannelKind::Webhook => String::new(),
        };
        events.push(json!({"type": "identify", "userId": user, "messageId": format!("id-{i}"), "timestamp": "2026-05-01T03:00:00Z",
            "traits": {"phone": phone, "wechat_openid": format!("openid-{i}"), "wecom_external_userid": format!("wm-{i}"), "nickname": format!("顾客{i}")}}));
        events.push(json!({"type": "track", "event": "Contact Added", "userId": user, "messageId": format!("ca-{i}"),
            "timestamp": "2026-05-01T03:00:00Z", "properties": {"channel": "wecom", "staff_id": format!("staff-{i}")}}));
        events.push(
            json!({"type": "track", "event": "Message Subscribed", "userId": user, "messageId": format!("sub-{i}"),
            "timestamp": "2026-05-01T03:01:00Z", "properties": {"template_id": "TPL_1"}}),
        );
        events
            .push(json!({"type": "track", "event": "Campaign Joined", "userId": user, "messageId": format!("go-{i}"),
            "timestamp": "2026-05-01T03:30:00Z", "properties": {}}));
        who.push((user, address));
    }
    append_to(&*store, ws, events).await;
    let mut people = Vec::new();
    for (i, (user, address)) in who.iter().enumerate() {
        let p = person_by(&*store, ws, IdentifierKind::UserId, user).await.unwrap();
        let to = if case.channel == ChannelKind::Webhook { p.to_string() } else { address.clone() };
        let to = match case.provider {
            Provider::TencentSms => format!("+86{to}"),
            _ => to,
        };
        if let Some(fault) = case.expected[i].0 {
            standin.fail_for(&to, fault);
        }
        people.push((p, to));
    }
    engine.refresh(ws).await.unwrap();
    let pass = runner.run(ws).await.unwrap();
    assert_eq!(pass.queued, case.expected.len(), "{:?}: {pass:?}", case.provider);

    // Dispatch until nothing is left, moving the clock past each retry.
    for _ in 0..10 {
        let round = dispatcher.round().await.unwrap();
        hands.advance(Duration::hours(2));
        if round.claimed == 0 {
            break;
        }
    }
    assert_eq!(standin.bad_signatures(), 0, "{:?}: every request was signed right", case.provider);

    // Nobody got anything twice.
    let mut delivered: HashMap<String, usize> = HashMap::new();
    for d in standin.delivered() {
        *delivered.entry(d.to.clone()).or_default() += 1;
    }
    assert!(delivered.values().all(|&n| n == 1), "{:?}: {delivered:?}", case.provider);

    let readout = store.journey_message_counts(ws, journey).await.unwrap();
    for ((fault, state, kind), (person, to)) in case.expected.iter().zip(&people) {
        let m: OutboxMessage = store.messages(ws, Some(*person), 10).await.unwrap().remove(0);
        assert_eq!((m.state, m.error_kind.as_deref()), (*state, *kind), "{:?} {fault:?}: {m:?}", case.provider);
        let reached = delivered.get(to).copied().unwrap_or(0);
        let expect_reached = matches!(state, OutboxState::Sent | OutboxState::Awaiting)
            || *fault == Some(Fault::Timeout)
            || (*fault == Some(Fault::Quota) && case.provider == Provider::Wecom);
        assert_eq!(reached, usize::from(expect_reached), "{:?} {fault:?} reached {to}", case.provider);
        let outcome = match (state, kind) {
            (OutboxState::Failed, Some(k)) => format!("failed:{k}"),
            (s, _) => s.as_str().to_owned(),
        };
        assert!(readout.iter().any(|r| r.outcome == outcome), "{:?}: {outcome} not in {readout:?}", case.provider);
        // A send is on the person's timeline.
        if matches!(state, OutboxState::Sent | OutboxState::Awaiting) && case.channel != ChannelKind::Webhook {
            let q =
                EventQuery { person: Some(*person), name: Some("Message Sent".into()), limit: 5, ..Default::default() };
            let sent = store.events(ws, &q).await.unwrap();
            assert_eq!(sent.len(), 1, "{:?}: Message Sent on the timeline", case.provider);
            assert_eq!(sent[0].payload["properties"]["message_id"], m.send_key);
        }
    }
    Ran { store, ws, hands, standin, dispatcher, people, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliyun_sms() {
    run(Case {
        provider: Provider::AliyunSms,
        channel: ChannelKind::Sms,
        expected: vec![
            (None, OutboxState::Sent, None),
            (Some(Fault::Timeout), OutboxState::Uncertain, Some("timeout")),
            (Some(Fault::ServerError), OutboxState::Uncertain, Some("provider_error")),
            (Some(Fault::Quota), OutboxState::Failed, Some("quota_exhausted")),
            (Some(Fault::Refused), OutboxState::Failed, Some("user_refused")),
            (Some(Fault::InvalidRecipient), OutboxState::Failed, Some("invalid_recipient")),
            (Some(Fault::Throttle), OutboxState::Failed, Some("throttled")),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tencent_sms() {
    run(Case {
        provider: Provider::TencentSms,
        channel: ChannelKind::Sms,
        expected: vec![
            (None, OutboxState::Sent, None),
            (Some(Fault::Timeout), OutboxState::Uncertain, Some("timeout")),
            (Some(Fault::ServerError), OutboxState::Uncertain, Some("provider_error")),
            (Some(Fault::Quota), OutboxState::Failed, Some("quota_exhausted")),
            (Some(Fault::Refused), OutboxState::Failed, Some("user_refused")),
            (Some(Fault::InvalidRecipient), OutboxState::Failed, Some("invalid_recipient")),
            (Some(Fault::Throttle), OutboxState::Failed, Some("throttled")),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_mass_send_and_what_became_of_it() {
    let ran = run(Case {
        provider: Provider::Wecom,
        channel: ChannelKind::Wecom,
        expected: vec![
            (None, OutboxState::Awaiting, None),
            (Some(Fault::Timeout), OutboxState::Uncertain, Some("timeout")),
            (Some(Fault::ServerError), OutboxState::Uncertain, Some("provider_error")),
            (Some(Fault::Quota), OutboxState::Awaiting, None),
            (Some(Fault::Refused), OutboxState::Failed, Some("user_refused")),
            (None, OutboxState::Awaiting, None),
        ],
    })
    .await;
    let state = |i: usize| {
        let (store, ws, person) = (ran.store.clone(), ran.ws, ran.people[i].0);
        async move {
            let m = store.messages(ws, Some(person), 1).await.unwrap().remove(0);
            (m.state, m.error_kind, m.error_code, m.provider_id)
        }
    };
    // Every task WeCom took carries the template's mini-program card, its cover fetched from
    // the store's CDN and uploaded. (Uploaded once and reused is shown without injected faults
    // in rekindle-delivery's tests/wecom_attachments.rs; here the faults meet the uploads too.)
    let tasks = ran.standin.mass_tasks();
    assert_eq!(tasks.len(), 4, "{tasks:?}");
    assert!(
        tasks.iter().all(|t| t.attachments.len() == 1 && t.attachments[0]["msgtype"] == "miniprogram"),
        "{tasks:?}"
    );
    assert!((1..=6).contains(&ran.standin.upload_count(COVER)), "{:?}", ran.standin.uploads());
    // Nobody confirmed yet: asked about, still waiting.
    let first = ran.dispatcher.check_awaiting().await.unwrap();
    assert_eq!((first.asked, first.waiting), (3, 3), "{first:?}");
    // The staff member confirms two of the three tasks: one customer receives it, the other
    // had their mass messages for the period.
    for i in [0, 3] {
        let msgid = state(i).await.3.unwrap();
        assert!(ran.standin.confirm(&msgid));
    }
    assert_eq!(ran.dispatcher.check_awaiting().await.unwrap().asked, 0, "not asked again within ten minutes");
    ran.hands.advance(Duration::minutes(11));
    let second = ran.dispatcher.check_awaiting().await.unwrap();
    assert_eq!((second.asked, second.delivered, second.failed, second.waiting), (3, 1, 1, 1), "{second:?}");
    assert_eq!(state(0).await.0, OutboxState::Delivered);
    let quota = state(3).await;
    assert_eq!(
        (quota.0, quota.1.as_deref(), quota.2.as_deref()),
        (OutboxState::Failed, Some("quota_exhausted"), Some("received_already"))
    );
    let q = EventQuery {
        person: Some(ran.people[0].0),
        name: Some("Message Delivered".into()),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(ran.store.events(ran.ws, &q).await.unwrap().len(), 1, "delivered, on the timeline");
    // A week on, the last one was never confirmed: it failed, and is asked about no more.
    ran.hands.advance(Duration::days(7));
    let third = ran.dispatcher.check_awaiting().await.unwrap();
    assert_eq!((third.asked, third.failed), (1, 1), "{third:?}");
    let never = state(5).await;
    assert_eq!((never.0, never.1.as_deref()), (OutboxState::Failed, Some("unconfirmed")));
    ran.hands.advance(Duration::minutes(11));
    assert_eq!(ran.dispatcher.check_awaiting().await.unwrap(), Default::default());
    // Each customer got the message at most once through all of it.
    let mut delivered: HashMap<String, usize> = HashMap::new();
    for d in ran.standin.delivered() {
        *delivered.entry(d.to.clone()).or_default() += 1;
    }
    assert!(delivered.values().all(|&n| n == 1), "{delivered:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miniprogram_subscribe_message() {
    run(Case {
        provider: Provider::Miniprogram,
        channel: ChannelKind::Miniprogram,
        expected: vec![
            (None, OutboxState::Sent, None),
            (Some(Fault::Timeout), OutboxState::Uncertain, Some("timeout")),
            (Some(Fault::ServerError), OutboxState::Uncertain, Some("provider_error")),
            (Some(Fault::Quota), OutboxState::Failed, Some("quota_exhausted")),
            (Some(Fault::Refused), OutboxState::Failed, Some("not_subscribed")),
            (Some(Fault::InvalidRecipient), OutboxState::Failed, Some("invalid_recipient")),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhook() {
    run(Case {
        provider: Provider::Webhook,
        channel: ChannelKind::Webhook,
        expected: vec![
            (None, OutboxState::Sent, None),
            // The receiver de-duplicates by Idempotency-Key, so an uncertain call is retried:
            // the retry is answered "already have it", and the message counts as sent, once.
            (Some(Fault::Timeout), OutboxState::Sent, None),
            (Some(Fault::ServerError), OutboxState::Failed, Some("provider_error")),
            (Some(Fault::Refused), OutboxState::Failed, Some("user_refused")),
        ],
    })
    .await;
}

/// A dispatcher claims a message and dies before recording what the provider said. Whether
/// the SMS went out is unknown, so the next dispatcher marks it uncertain and does not send it
/// again; a webhook, which the receiver de-duplicates, is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_dying_mid_call_never_causes_a_second_send() {
    for (provider, channel, expect) in [
        (Provider::AliyunSms, ChannelKind::Sms, OutboxState::Uncertain),
        (Provider::Webhook, ChannelKind::Webhook, OutboxState::Sent),
    ] {
        let (_dir, store, ws) = open_store().await;
        let hands = Hands::at(at("2026-05-01T04:00:00Z"));
        let standin = StandIn::start(provider).await;
        let person = PersonId::new_v7();
        let message = NewMessage {
            send_key: "k-1".into(),
            person,
            journey: None,
            enrollment: None,
            step: None,
            variant: None,
            channel,
            recipient: "13800138000".into(),
            sender: None,
            template: Some("TPL_1".into()),
            body: json!({"text": "hi 拒收请回复R", "params": [["thing1", "hi"]]}),
            transactional: true,
            not_before: hands.clock()(),
            day: "2026-05-01".parse().unwrap(),
            skip: None,
            priority: 5,
            tag: None,
            when_capped: Default::default(),
            fallback: Vec::new(),
        };
        store.queue(ws, &[message], &CapsConfig::default()).await.unwrap();
        let lease = Duration::seconds(60);
        let claimed = store.claim_messages(hands.clock()(), lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        // ...and the dispatcher that claimed it is gone. Another one starts after the lease.
        hands.advance(Duration::seconds(61));
        let dispatcher = dispatcher(&store, &standin, hands.clock(), DispatchConfig::default());
        let round = dispatcher.round().await.unwrap();
        assert_eq!(round.claimed, 1);
        let m = store.messages(ws, None, 1).await.unwrap().remove(0);
        assert_eq!(m.state, expect, "{provider:?}");
        let calls = standin.requests();
        match expect {
            OutboxState::Uncertain => {
                assert_eq!(m.error_code.as_deref(), Some("lease_expired"));
                assert_eq!(calls, 0, "not called again");
            }
            _ => assert_eq!(standin.delivered().len(), 1),
        }
        assert!(dispatcher.round().await.unwrap().claimed == 0, "nothing left to send");
    }
}
