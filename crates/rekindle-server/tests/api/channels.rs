//! Channel settings over HTTP: readiness for everyone, providers set by the owner with secrets
//! that are never answered, and a provider set in the console that then sends.

use std::time::Duration;

use rekindle_delivery::standin::{Provider, StandIn};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::spawn_app_at_with;

async fn answer(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn ready(view: &Value, kind: &str) -> bool {
    view["channels"].as_array().unwrap().iter().any(|c| c["kind"] == kind && c["ready"] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sets_a_provider_in_the_console_and_it_sends() {
    // At 14:00 in Shanghai: WeCom's default quiet hours (21:00–08:00) would hold the message,
    // and the test must not depend on when it runs.
    let app = spawn_app_at_with("2026-05-01T06:00:00Z", |c| c.journeys.tick_ms = 100).await;
    let none = app.api_json("/api/v1/channels").await;
    assert!(!["sms", "wecom", "miniprogram", "webhook"].iter().any(|k| ready(&none, k)), "{none}");

    let wecom = StandIn::start(Provider::Wecom).await;
    let section = serde_json::to_value(wecom.config().wecom.unwrap()).unwrap();
    let secret = section["secret"].as_str().unwrap().to_string();
    // A section without its secrets, or with a key WeCom does not have, is refused by name.
    let mut bare = section.clone();
    bare.as_object_mut().unwrap().remove("secret");
    let (status, body) = answer(app.send(Method::PUT, "/api/v1/channels/wecom", &bare).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("wecom.secret")), "{body}");
    let mut short = section.clone();
    short["encoding_aes_key"] = json!("too-short");
    let (status, body) = answer(app.send(Method::PUT, "/api/v1/channels/wecom", &short).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("wecom.encoding_aes_key")), "{body}");
    let (status, body) = answer(app.send(Method::PUT, "/api/v1/channels/smtp", &section).await).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("provider")), "{body}");

    let r = app.send(Method::PUT, "/api/v1/channels/wecom", &section).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains(&secret), "a secret is never answered: {text}");
    let view: Value = serde_json::from_str(&text).unwrap();
    assert!(ready(&view, "wecom"), "{view}");
    let provider = view["providers"].as_array().unwrap().iter().find(|p| p["name"] == "wecom").unwrap();
    assert_eq!(provider["source"], "console");
    assert!(provider["secrets"].as_array().unwrap().iter().all(|s| s["set"] == true), "{provider}");
    // Changed without its secrets: they are kept.
    let (status, body) = answer(app.send(Method::PUT, "/api/v1/channels/wecom", &bare).await).await;
    assert_eq!(status, 200, "{body}");

    // A journey sends through what the console set.
    let template = json!({"name": "关怀", "channel": "wecom", "text": "{{nickname|亲}}，收到了吗？"});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/关怀", &template).await.status(), 200);
    let definition = json!({"trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "care", "type": "send", "channel": "wecom", "template": "关怀"}]});
    let (_, journey) =
        answer(app.send(Method::POST, "/api/v1/journeys", &json!({"name": "关怀", "definition": definition})).await)
            .await;
    let id = journey["id"].as_i64().unwrap();
    let (status, body) =
        answer(app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await).await;
    assert_eq!(status, 200, "{body}");
    let batch = json!({"batch": [
        {"type": "identify", "userId": "u1", "traits": {"nickname": "王姐", "wecom_external_userid": "wm-1"}},
        {"type": "track", "event": "Contact Added", "userId": "u1", "properties": {"channel": "wecom", "staff_id": "s-1"}},
        {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"order_id": "o1", "revenue": 9.9}},
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    for _ in 0..200 {
        if !wecom.delivered().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(wecom.delivered()[0].text, "王姐，收到了吗？");

    let (status, view) = answer(app.send(Method::DELETE, "/api/v1/channels/wecom", &json!(null)).await).await;
    assert_eq!(status, 200);
    assert!(!ready(&view, "wecom"), "removed: {view}");
    let audit = app.api_json("/api/v1/audit").await;
    let actions: Vec<&str> = audit.as_array().into_iter().flatten().filter_map(|a| a["action"].as_str()).collect();
    assert!(actions.contains(&"channels.update") && actions.contains(&"channels.remove"), "{actions:?}");
}
