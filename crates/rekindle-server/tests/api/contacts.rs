//! WeCom relationships over HTTP (docs/relationships.md): callbacks from two staff members,
//! one friendship ended by the customer and one by the staff member; who stays reachable,
//! through whom a journey sends, and reach per staff member.

use std::time::Duration;

use rekindle_delivery::standin::{Provider, StandIn};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestClock, spawn_app_clocked};

async fn app_with_wecom() -> (TestApp, TestClock, StandIn) {
    let wecom = StandIn::start(Provider::Wecom).await;
    let channels = wecom.config();
    // From 14:00 in Shanghai: outside WeCom's default quiet hours.
    let (app, clock) = spawn_app_clocked("2026-05-01T06:00:00Z", |c| {
        c.channels = channels;
        c.journeys.tick_ms = 100;
    })
    .await;
    (app, clock, wecom)
}

/// A `change_external_contact` callback as WeCom posts it, signed and encrypted.
async fn callback(app: &TestApp, wecom: &StandIn, change: &str, staff: &str, external: &str, state: Option<&str>) {
    let state = state.map(|s| format!("<State><![CDATA[{s}]]></State>")).unwrap_or_default();
    let xml = format!(
        "<xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[{change}]]></ChangeType>\
         <UserID><![CDATA[{staff}]]></UserID><ExternalUserID><![CDATA[{external}]]></ExternalUserID>{state}</xml>"
    );
    let (query, body) = wecom.callback_request(&xml);
    let r = app.client.post(format!("{}/callbacks/wecom?{query}", app.base)).body(body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{change} {staff} {external}");
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn staff_row<'a>(figures: &'a Value, id: &str) -> &'a Value {
    figures["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["staff_id"] == id)
        .unwrap_or_else(|| panic!("{id}: {figures}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friendships_per_staff_member_decide_reach_and_the_sender() {
    let (app, clock, wecom) = app_with_wecom().await;
    let changes = [
        ("add_external_contact", "guide-1", "wm-1", Some("store-3")),
        ("add_external_contact", "leader-1", "wm-1", None),
        ("add_external_contact", "host-1", "wm-1", Some("live-20260430")),
        ("del_follow_user", "host-1", "wm-1", None),
        ("add_external_contact", "guide-1", "wm-2", Some("ads-moments")),
        ("del_external_contact", "guide-1", "wm-2", None),
    ];
    // A minute apart, so each add and removal has its own time.
    for (minute, (change, staff, external, state)) in changes.into_iter().enumerate() {
        clock.set(&format!("2026-05-01T06:{minute:02}:00Z"));
        callback(&app, &wecom, change, staff, external, state).await;
    }
    clock.set("2026-05-01T06:30:00Z");

    // wm-1 dropped one of three staff members and is still reachable; the owner is the first.
    let one = app.api_json("/api/v1/people/wecom_external_userid:wm-1/contacts").await;
    assert_eq!(
        (one["reachable"].as_bool(), one["owner"].as_str(), one["recent"].as_str()),
        (Some(true), Some("guide-1"), Some("leader-1")),
        "{one}"
    );
    let rows: Vec<(&str, bool, Option<&str>)> = one["friendships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["staff_id"].as_str().unwrap(), f["friend"].as_bool().unwrap(), f["removed_by"].as_str()))
        .collect();
    assert_eq!(rows, [("guide-1", true, None), ("leader-1", true, None), ("host-1", false, Some("customer"))], "{one}");
    assert_eq!(
        (one["friendships"][0]["source"].as_str(), one["friendships"][0]["code"].as_str()),
        (Some("store"), Some("store-3"))
    );
    let profile = app.api_json("/api/v1/people/wecom_external_userid:wm-1/profile").await;
    assert_eq!(profile["reachable"], true, "{profile}");

    let two = app.api_json("/api/v1/people/wecom_external_userid:wm-2/contacts").await;
    assert_eq!(two["reachable"], false, "{two}");
    assert_eq!(two["friendships"][0]["removed_by"], "staff", "{two}");

    let figures = app.api_json("/api/v1/contacts").await;
    assert_eq!(
        (figures["people"].as_u64(), figures["reachable"].as_u64(), figures["several_staff"].as_u64()),
        (Some(2), Some(1), Some(1)),
        "{figures}"
    );
    let guide = staff_row(&figures, "guide-1");
    assert_eq!((guide["friends"].as_u64(), guide["removed_by_staff_30d"].as_u64()), (Some(1), Some(1)), "{guide}");
    assert_eq!(staff_row(&figures, "host-1")["removed_by_customer_30d"], 1);
    let sources: Vec<&str> =
        figures["sources"].as_array().unwrap().iter().filter_map(|s| s["source"].as_str()).collect();
    assert!(sources.contains(&"store") && sources.contains(&"ads"), "{figures}");

    // A journey sends through the step's sender: the owner by default, the latest when asked;
    // nobody is asked to send to a customer who is no longer their friend.
    let template = json!({"name": "问候", "channel": "wecom", "text": "您好，今天有新到的鲜果～"});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/问候", &template).await.status(), 200);
    for (name, sender) in [("默认发送人", json!(null)), ("最近添加", json!("recent"))] {
        let mut step = json!({"id": "send", "type": "send", "channel": "wecom", "template": "问候"});
        if !sender.is_null() {
            step["sender"] = sender;
        }
        let definition = json!({"trigger": {"type": "event", "event": format!("Ping {name}")}, "steps": [step]});
        let r = app.send(Method::POST, "/api/v1/journeys", &json!({"name": name, "definition": definition})).await;
        assert_eq!(r.status(), 201);
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let r = app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await;
        assert_eq!(r.status(), 200);
    }
    let ping = |external: &str, event: &str| json!({"anonymousId": format!("wecom:{external}"), "event": event, "messageId": format!("{external}-{event}")});
    assert_eq!(app.post("/v1/track", &ping("wm-1", "Ping 默认发送人")).await.status(), 200);
    assert_eq!(app.post("/v1/track", &ping("wm-2", "Ping 默认发送人")).await.status(), 200);
    until("the send to wm-1", || async { wecom.mass_tasks().len() == 1 }).await;
    // The next day (a customer gets one WeCom message a day from the store's journeys).
    clock.set("2026-05-02T06:30:00Z");
    assert_eq!(app.post("/v1/track", &ping("wm-1", "Ping 最近添加")).await.status(), 200);
    until("the second send to wm-1", || async { wecom.mass_tasks().len() == 2 }).await;
    let mut senders: Vec<(String, Option<String>)> =
        wecom.mass_tasks().into_iter().map(|t| (t.external_userids.join(","), t.sender)).collect();
    senders.sort();
    assert_eq!(
        senders,
        [("wm-1".to_string(), Some("guide-1".to_string())), ("wm-1".to_string(), Some("leader-1".to_string()))],
        "the owner by default, the staff member added last when asked"
    );
    let messages = app.api_json("/api/v1/people/wecom_external_userid:wm-2/messages").await;
    assert_eq!(
        (messages["messages"][0]["state"].as_str(), messages["messages"][0]["error_code"].as_str()),
        (Some("skipped"), Some("not_friend")),
        "{messages}"
    );
}
