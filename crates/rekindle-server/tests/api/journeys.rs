//! Journeys over HTTP: templates, a journey drafted, refused while it has problems, published,
//! triggered by ingested events and delivered through a WeCom stand-in; the WeCom callback
//! verified, welcomed and recorded.

use std::time::Duration;

use rekindle_delivery::standin::{Provider, StandIn};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_at_with, spawn_app_with};

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn status_and_body(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn app_with_wecom() -> (TestApp, StandIn) {
    let wecom = StandIn::start(Provider::Wecom).await;
    let channels = wecom.config();
    // At 14:00 in Shanghai, whenever the test runs: WeCom's default quiet hours (21:00–08:00)
    // would hold the messages.
    let app = spawn_app_at_with("2026-05-01T06:00:00Z", |c| {
        c.channels = channels;
        c.journeys.tick_ms = 100;
        c.journeys.welcome_template = Some("欢迎语".into());
    })
    .await;
    (app, wecom)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journey_is_drafted_checked_published_and_delivers_once() {
    let (app, wecom) = app_with_wecom().await;
    let template = json!({"name": "关怀", "channel": "wecom", "text": "{{nickname|亲}}，{{last_product}}收到了吗？"});
    let (status, body) =
        status_and_body(app.send(Method::PUT, "/api/v1/message-templates/关怀", &template).await).await;
    assert_eq!(status, 200, "{body}");
    // A marketing SMS without the opt-out line is refused, naming the field.
    let sms = json!({"name": "x", "channel": "sms", "text": "hi", "provider_template": "SMS_1"});
    let (status, body) = status_and_body(app.send(Method::PUT, "/api/v1/message-templates/x", &sms).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("text")), "{body}");

    let definition = json!({
        "trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "care", "type": "send", "channel": "wecom", "template": "没有这个模板"}],
        "goal": {"within_days": 7},
    });
    let (status, body) = status_and_body(
        app.send(Method::POST, "/api/v1/journeys", &json!({"name": "首单关怀", "definition": definition})).await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["problems"][0]["field"], "steps[0].template", "{body}");
    let (status, body) =
        status_and_body(app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("definition.steps[0].template")), "{body}");
    // Nonsense is a 400 naming the definition, never a 500.
    let bad = json!({"definition": {"trigger": {"type": "moon_phase"}, "steps": []}});
    let (status, body) = status_and_body(app.send(Method::PUT, &format!("/api/v1/journeys/{id}"), &bad).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("definition")), "{body}");

    let mut fixed = definition.clone();
    fixed["steps"][0]["template"] = json!("关怀");
    let (status, body) =
        status_and_body(app.send(Method::PUT, &format!("/api/v1/journeys/{id}"), &json!({"definition": fixed})).await)
            .await;
    assert_eq!((status, body["problems"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    let (status, body) =
        status_and_body(app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await).await;
    assert_eq!((status, body["version"].as_i64()), (200, Some(1)), "{body}");

    let order = |n: u32| {
        json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": format!("o{n}"),
               "properties": {"order_id": format!("o{n}"), "revenue": 29.9,
                              "products": [{"sku": "oat", "name": "高山燕麦", "category": "燕麦", "price": 29.9, "quantity": 1}]}})
    };
    let batch = json!({"batch": [
        {"type": "identify", "userId": "u1", "messageId": "i1", "traits": {"nickname": "王姐", "phone": "13800138000", "wecom_external_userid": "wm-1"}},
        {"type": "track", "event": "Contact Added", "userId": "u1", "messageId": "c1", "properties": {"channel": "wecom", "staff_id": "staff-9"}},
        order(1),
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    until("the WeCom stand-in to get the message", || async { !wecom.delivered().is_empty() }).await;
    let got = wecom.delivered();
    assert_eq!((got[0].to.as_str(), got[0].text.as_str()), ("wm-1", "王姐，高山燕麦收到了吗？"));
    // The same batch again (a client retry) sends nothing more.
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(wecom.delivered().len(), 1, "a retried batch never sends twice");
    // The one order that entered someone is timed on /metrics, read and entered.
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    for name in ["rekindle_journey_event_read_seconds_count 1", "rekindle_journey_event_entered_seconds_count 1"] {
        assert!(metrics.lines().any(|l| l == name), "{name}: {metrics}");
    }
    // SQLite's writers, by file and urgency: the runner's entry and walk were prompt writes of
    // runs.db, the appends normal ones of rekindle.db, the dispatcher's claim a patient one of
    // runs.db.
    for (file, urgency) in [("runs.db", "prompt"), ("rekindle.db", "normal"), ("runs.db", "patient")] {
        let prefix = format!("rekindle_sqlite_writer_wait_seconds_count{{file=\"{file}\",urgency=\"{urgency}\"}} ");
        let count = metrics.lines().find_map(|l| l.strip_prefix(prefix.as_str())).and_then(|n| n.parse::<u64>().ok());
        assert!(count.is_some_and(|n| n > 0), "{file} {urgency} writes counted: {metrics}");
    }

    let person = app.api_json("/api/v1/people/13800138000/messages").await;
    assert_eq!(person["messages"][0]["state"], "awaiting", "a mass send waits for the staff member: {person}");
    assert_eq!(person["enrollments"][0]["journey_name"], "首单关怀");
    let readout = app.api_json(&format!("/api/v1/journeys/{id}/readout")).await;
    let outcomes: Vec<&str> =
        readout["messages"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["awaiting"], "{readout}");
    // The preview renders a template for a real person.
    let preview = json!({"template": template, "person": "13800138000"});
    let (status, body) =
        status_and_body(app.send(Method::POST, "/api/v1/message-templates/preview", &preview).await).await;
    assert_eq!((status, body["text"].as_str()), (200, Some("王姐，高山燕麦收到了吗？")), "{body}");
    let templates = app.api_json("/api/v1/journey-templates").await;
    let keys: Vec<&str> = templates["templates"].as_array().unwrap().iter().filter_map(|t| t["key"].as_str()).collect();
    assert_eq!(keys.len(), 16, "{keys:?}");
    assert!(keys.contains(&"subscription_confirmation"), "{keys:?}");
    assert!(keys.contains(&"service_recovery") && keys.contains(&"group_invite_reward"), "{keys:?}");
    assert!(keys.contains(&"live_question_recovery") && keys.contains(&"live_watched_no_order"), "{keys:?}");
    assert!(keys.contains(&"level_progress") && keys.contains(&"co_creation_invite"), "{keys:?}");
    let audit = app.api_json("/api/v1/audit").await;
    let actions: Vec<&str> = audit.as_array().into_iter().flatten().filter_map(|a| a["action"].as_str()).collect();
    for action in ["message_template.put", "journey.create", "journey.update", "journey.publish"] {
        assert!(actions.contains(&action), "{action} in the audit log: {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wecom_callback_is_verified_welcomes_and_records_the_contact() {
    let (app, wecom) = app_with_wecom().await;
    let welcome = json!({"name": "欢迎语", "channel": "wecom", "text": "{{nickname|您好}}，我是小鲜，有事随时找我～"});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/欢迎语", &welcome).await.status(), 200);
    let code = wecom.issue_welcome_code("wm-7");
    let xml = format!(
        "<xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>\
         <UserID><![CDATA[staff-3]]></UserID><ExternalUserID><![CDATA[wm-7]]></ExternalUserID><State><![CDATA[live]]></State>\
         <WelcomeCode><![CDATA[{code}]]></WelcomeCode></xml>"
    );
    let (query, body) = wecom.callback_request(&xml);
    let url = format!("{}/callbacks/wecom?{query}", app.base);
    let r = app.client.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "success");
    until("the welcome message", || async { wecom.delivered().iter().any(|d| d.text.contains("小鲜")) }).await;
    // A forged callback is refused.
    let forged = url.replace("msg_signature=", "msg_signature=0");
    let r = app.client.post(&forged).body(body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let events = app.events().await;
    let added = events.iter().find(|e| e.name.as_deref() == Some("Contact Added")).expect("the contact is recorded");
    assert_eq!(added.payload["properties"]["staff_id"], "staff-3");
    assert_eq!(added.payload["properties"]["source"], "live");
}

/// Issue 16: a win-back on a 1,196-person segment entered 0, as a segment trigger catches
/// only who enters after publishing. Publishing may now enter the current members, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_may_enter_the_current_members_of_the_trigger_segment() {
    let app = spawn_app_with(|c| c.journeys.tick_ms = 100).await;
    for user in ["u1", "u2", "u3"] {
        let order = json!({"userId": user, "event": "Order Completed", "properties": {"order_id": format!("o-{user}"), "revenue": 10}});
        assert_eq!(app.post("/v1/track", &order).await.status(), 200);
    }
    let (status, segment) = status_and_body(
        app.send(Method::POST, "/api/v1/segments", &json!({"name": "下过单", "rule": "订单数 >= 1"})).await,
    )
    .await;
    assert_eq!(status, 201, "{segment}");
    let definition = json!({"trigger": {"type": "segment_entered", "segment": segment["id"]},
        "steps": [{"id": "notify", "type": "webhook", "topic": "crm.win_back"}]});
    let (_, journey) = status_and_body(
        app.send(Method::POST, "/api/v1/journeys", &json!({"name": "召回", "definition": definition})).await,
    )
    .await;
    let id = journey["id"].as_i64().unwrap();
    let current = app.api_json(&format!("/api/v1/journeys/{id}/current-members")).await;
    assert_eq!(current["count"], 3, "{current}");

    let path = format!("/api/v1/journeys/{id}/publish?enter_current=true");
    let (status, body) = status_and_body(app.send(Method::POST, &path, &json!({})).await).await;
    assert_eq!((status, body["entered_now"].as_u64()), (200, Some(3)), "{body}");
    let (status, body) = status_and_body(app.send(Method::POST, &path, &json!({})).await).await;
    assert_eq!((status, body["entered_now"].as_u64()), (200, Some(0)), "entered once, whatever the version: {body}");
    let readout = app.api_json(&format!("/api/v1/journeys/{id}")).await;
    assert_eq!(readout["entered"], 3, "{readout}");

    let event = json!({"trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "notify", "type": "webhook", "topic": "crm"}]});
    let (_, other) = status_and_body(
        app.send(Method::POST, "/api/v1/journeys", &json!({"name": "下单", "definition": event})).await,
    )
    .await;
    let none = app.api_json(&format!("/api/v1/journeys/{}/current-members", other["id"])).await;
    assert!(none["count"].is_null(), "an event trigger has no current members: {none}");
}
