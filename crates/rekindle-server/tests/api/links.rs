//! Tracked links over HTTP (docs/journeys.md, "Tracked links"): a journey's WeCom message goes
//! out with its address as a short link on Rekindle; following it records `Message Clicked`
//! with the journey and step on the person and redirects to the address; the journey's readout
//! counts the click against the people reached. An unknown code is a JSON 404.

use std::time::Duration;

use rekindle_core::outreach::tracked::find_urls;
use rekindle_delivery::standin::{Provider, StandIn};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_clocked};

const PUBLIC: &str = "https://rk.shop.cn";

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn clicks_of(app: &TestApp) -> Vec<Value> {
    app.events()
        .await
        .into_iter()
        .filter(|e| e.name.as_deref() == Some("Message Clicked"))
        .map(|e| json!({"person": e.person.to_string(), "properties": e.payload["properties"], "id": e.message_id}))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_link_records_the_click_and_redirects() {
    let wecom = StandIn::start(Provider::Wecom).await;
    let channels = wecom.config();
    // At 14:00 in Shanghai: WeCom's quiet hours would hold the message.
    let (app, clock) = spawn_app_clocked("2026-05-01T06:00:00Z", |c| {
        c.channels = channels;
        c.journeys.tick_ms = 100;
        c.public_url = Some(format!("{PUBLIC}/"));
    })
    .await;
    let template = json!({"name": "预告", "channel": "wecom",
        "text": "{{nickname|亲}}，今晚8点直播 https://shop.cn/live?id=9&from=wecom ，点这里预约。"});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/预告", &template).await.status(), 200);
    let definition = json!({
        "trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "invite", "type": "send", "channel": "wecom", "template": "预告"}],
    });
    let r = app.send(Method::POST, "/api/v1/journeys", &json!({"name": "直播预告", "definition": definition})).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app.send(Method::POST, &format!("/api/v1/journeys/{id}/publish"), &json!({})).await;
    assert_eq!(r.status(), 200);

    let batch = json!({"batch": [
        {"type": "identify", "userId": "u1", "messageId": "i1", "traits": {"nickname": "王姐", "wecom_external_userid": "wm-1"}},
        {"type": "track", "event": "Contact Added", "userId": "u1", "messageId": "c1", "properties": {"channel": "wecom", "staff_id": "staff-9"}},
        {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "o1",
         "properties": {"order_id": "o1", "revenue": 29.9, "products": [{"sku": "oat", "name": "燕麦", "price": 29.9, "quantity": 1}]}},
    ]});
    assert_eq!(app.post("/v1/batch", &batch).await.status(), 200);
    until("the WeCom stand-in to get the message", || async { !wecom.delivered().is_empty() }).await;

    // What WeCom got names Rekindle, not the store's page.
    let text = wecom.delivered()[0].text.clone();
    let urls: Vec<&str> = find_urls(&text).into_iter().map(|r| &text[r]).collect();
    assert_eq!(urls.len(), 1, "{text}");
    assert!(urls[0].starts_with(&format!("{PUBLIC}/l/")) && !text.contains("shop.cn/live"), "{text}");
    assert!(text.ends_with(" ，点这里预约。"), "the text around the link is kept: {text}");
    let path = urls[0].strip_prefix(PUBLIC).unwrap().to_owned();

    // Followed: a 302 to the address, and the click on the person with the journey and step.
    let r = no_redirects().get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"], "https://shop.cn/live?id=9&from=wecom");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let clicks = clicks_of(&app).await;
    assert_eq!(clicks.len(), 1, "{clicks:?}");
    let p = &clicks[0]["properties"];
    assert_eq!((&p["journey_id"], &p["step"], &p["channel"]), (&json!(id), &json!("invite"), &json!("wecom")), "{p}");
    assert_eq!(p["url"], "https://shop.cn/live?id=9&from=wecom");
    let sent = app.events().await.into_iter().find(|e| e.name.as_deref() == Some("Message Sent")).unwrap();
    assert_eq!(p["message_id"], sent.payload["properties"]["message_id"], "the send it came from");
    assert_eq!(clicks[0]["person"], sent.person.to_string(), "on the person it was sent to");
    assert!(clicks[0]["id"].as_str().unwrap().starts_with("click:"), "{clicks:?}");

    // A HEAD (a link checker) is answered, not counted; a later click counts again, the clicker once.
    let r = no_redirects().head(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    clock.set("2026-05-01T06:05:00Z");
    let r = no_redirects().get(format!("{}{}", app.base, path.to_lowercase())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "a code is read in any case");
    assert_eq!(clicks_of(&app).await.len(), 2);

    // The readout: the click marked the awaiting mass send delivered; one person reached, one clicked.
    let readout = || async { app.api_json(&format!("/api/v1/journeys/{id}/readout")).await["clicks"].clone() };
    until("the click to mark the message delivered", || async { readout().await[0]["reached"] == 1 }).await;
    let clicks = readout().await;
    assert_eq!(clicks[0], json!({"step": null, "reached": 1, "clickers": 1, "clicks": 2, "rate": 1.0}), "{clicks}");
    assert_eq!(clicks[1], json!({"step": "invite", "reached": 1, "clickers": 1, "clicks": 2, "rate": 1.0}));

    // Unknown codes are JSON 404s.
    for unknown in ["/l/ZZZZZZZZZZZZ", "/l/nope", "/l/"] {
        let r = no_redirects().get(format!("{}{unknown}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{unknown}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{unknown}: {body}");
    }
}
