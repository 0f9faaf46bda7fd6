//! A send step's fallback channels end to end, against the WeCom and Aliyun SMS stand-ins with
//! the clock held still (docs/journeys.md, "Channel fallback"): the customer removes the staff
//! member in WeCom (the stand-in's contact book sends the callback) and the message goes by
//! SMS; a customer whose WeCom slot for the day is taken gets it by SMS too.

use std::time::Duration;

use rekindle_delivery::standin::{CallbackRequest, Provider, StandIn};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_clocked};

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn post_callback(app: &TestApp, cb: CallbackRequest) {
    let r = app.client.post(format!("{}/callbacks/wecom?{}", app.base, cb.query)).body(cb.body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", cb.plain);
}

async fn put(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.send(Method::PUT, path, &body).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn journey(app: &TestApp, name: &str, definition: Value) {
    let r = app.send(Method::POST, "/api/v1/journeys", &json!({"name": name, "definition": definition})).await;
    let body: Value = r.json().await.unwrap();
    let id = body["id"].as_i64().unwrap_or_else(|| panic!("{body}"));
    let r = app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

fn identify(user: &str, phone: &str, external: &str) -> Value {
    json!({"type": "identify", "userId": user, "messageId": format!("i-{user}"),
           "traits": {"phone": phone, "wecom_external_userid": external}})
}

fn track(user: &str, event: &str) -> Value {
    json!({"type": "track", "event": event, "userId": user, "messageId": format!("{event}-{user}")})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_falls_to_sms_when_the_contact_is_removed_or_wecom_is_capped() {
    let (wecom, sms) = (StandIn::start(Provider::Wecom).await, StandIn::start(Provider::AliyunSms).await);
    let mut channels = wecom.config();
    let sms_config = sms.config();
    channels.sms_provider = sms_config.sms_provider;
    channels.aliyun_sms = sms_config.aliyun_sms;
    // 14:00 in Shanghai, outside quiet hours.
    let (app, _clock) = spawn_app_clocked("2026-05-01T06:00:00Z", |c| {
        c.channels = channels;
        c.journeys.tick_ms = 100;
        c.journeys.wecom_reconcile_minutes = 0;
    })
    .await;
    let text = "{{nickname|亲}}，最近还好吗？";
    put(&app, "/api/v1/message-templates/关怀", json!({"name": "关怀", "channel": "wecom", "text": text})).await;
    let sms_text = format!("{text}拒收请回复R");
    let sms_template = json!({"name": "关怀短信", "channel": "sms", "text": sms_text, "provider_template": "SMS_1"});
    put(&app, "/api/v1/message-templates/关怀短信", sms_template).await;
    let care = json!({"trigger": {"type": "event", "event": "Live Left"},
        "steps": [{"id": "care", "type": "send", "channel": "wecom", "template": "关怀",
                   "fallback": [{"channel": "sms", "template": "关怀短信"}]}]});
    journey(&app, "关怀", care).await;
    let hello = json!({"trigger": {"type": "event", "event": "Live Entered"},
        "steps": [{"id": "hello", "type": "send", "channel": "wecom", "template": "关怀"}]});
    journey(&app, "问候", hello).await;

    // u1 added guide-1, then deleted them; u2 is still a friend of guide-1.
    post_callback(&app, wecom.customer_adds("guide-1", "wm-1", None)).await;
    post_callback(&app, wecom.customer_adds("guide-1", "wm-2", None)).await;
    post_callback(&app, wecom.customer_removes("guide-1", "wm-1")).await;
    let people = json!({"batch": [identify("u1", "13800138001", "wm-1"), identify("u2", "13800138002", "wm-2")]});
    assert_eq!(app.post("/v1/batch", &people).await.status(), 200);
    let removed = || async {
        let view = app.api_json("/api/v1/people/wecom_external_userid:wm-1/contacts").await;
        view["friendships"].as_array().is_some_and(|f| f.iter().all(|f| f["friend"] == false))
    };
    until("the removal on u1's record", removed).await;

    // u2's WeCom slot for today goes to the greeting first.
    assert_eq!(app.post("/v1/batch", &json!({"batch": [track("u2", "Live Entered")]})).await.status(), 200);
    until("the greeting over WeCom", || async { wecom.delivered().len() == 1 }).await;
    let left = json!({"batch": [track("u1", "Live Left"), track("u2", "Live Left")]});
    assert_eq!(app.post("/v1/batch", &left).await.status(), 200);
    until("two messages by SMS", || async { sms.delivered().len() == 2 }).await;

    let mut to: Vec<String> = sms.delivered().iter().map(|d| d.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["13800138001", "13800138002"]);
    assert_eq!(wecom.delivered().len(), 1, "only the greeting went by WeCom");
    for (who, why) in [("13800138001", "not a friend"), ("13800138002", "WeCom capped")] {
        let page = app.api_json(&format!("/api/v1/people/{who}/messages")).await;
        let care = page["messages"].as_array().unwrap().iter().find(|m| m["step"] == "care").cloned();
        assert_eq!(care.as_ref().map(|m| m["channel"].clone()), Some(json!("sms")), "{why}: {page}");
    }
}
