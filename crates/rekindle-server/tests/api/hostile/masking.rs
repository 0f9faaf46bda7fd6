//! Hostile input: masking. An analyst (no `pii.read`) must not see a phone, email, address,
//! IP or identifier in full in any answer, wherever the sender put it; must not recover a
//! masked phone by searching its fragments or by searching fast; and a CSV export must not
//! carry a formula into a spreadsheet. The owner still sees everything.

use rekindle_core::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery";

/// Values that must never reach an analyst in full.
const SECRETS: [&str; 10] = [
    "13812345678",
    "13912345678",
    "13712345678",
    "13612345678",
    "13512345678",
    "203.0.113.77",
    "li.hua@example.com",
    "文三路",
    "anon-device-8f3a2c",
    "shop-user-000123",
];

/// A signed-in analyst's session cookie.
async fn analyst(app: &TestApp) -> String {
    analyst_session(app).await.0
}

/// A signed-in analyst's session cookie and CSRF token (for requests that change or compute).
async fn analyst_session(app: &TestApp) -> (String, String) {
    rekindle_server::auth::add_operator(&*app.store, app.ws, "analyst@shop.cn", "分析师", PASSWORD, Role::Analyst)
        .await
        .unwrap();
    let r = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": "analyst@shop.cn", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    (cookie, csrf)
}

async fn get_as(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    app.client.get(format!("{}{path}", app.base)).header("cookie", cookie).send().await.unwrap()
}

async fn ingest(app: &TestApp, path: &str, body: Value) {
    assert_eq!(app.post(path, &body).await.status(), 200, "{path} {body}");
}

/// A person whose personal data arrives under every key and shape a sender might use.
async fn scattered_person(app: &TestApp) -> String {
    ingest(
        app,
        "/v1/identify",
        json!({"userId": "shop-user-000123", "traits": {
        "phone": "13812345678", "Phone": "139 1234 5678", "mobile": "+86-137-1234-5678",
        "email": "li.hua@example.com", "address": "浙江省杭州市西湖区文三路100号", "nickname": "小李"}}),
    )
    .await;
    ingest(app, "/v1/alias", json!({"userId": "shop-user-000123", "previousId": "anon-device-8f3a2c"})).await;
    ingest(
        app,
        "/v1/track",
        json!({"userId": "shop-user-000123", "event": "Order Completed",
        "context": {"ip": "203.0.113.77"},
        "properties": {"order_id": "o-1", "revenue": 59.9, "phone": "13612345678",
            "receiver": {"name": "李华", "phone": 13512345678u64, "address": "文三路100号"},
            "products": [{"sku": "kiwi-12", "quantity": 1}]}}),
    )
    .await;
    assert!(app.ingestor.settled(std::time::Duration::from_secs(10)).await);
    let found = app.api_json("/api/v1/people/user_id:shop-user-000123").await;
    found["id"].as_str().unwrap().to_string()
}

/// Every answer that carries this person's data.
fn person_paths(id: &str) -> Vec<String> {
    let mut paths: Vec<String> = ["", "/events", "/merges", "/orders", "/profile", "/messages", "/live"]
        .iter()
        .map(|p| format!("/api/v1/people/{id}{p}"))
        .collect();
    paths.extend([
        "/api/v1/events".into(),
        "/api/v1/people?q=138%201234%205678".into(),
        "/api/v1/people?q=小李".into(),
    ]);
    paths
}

#[tokio::test]
async fn an_analyst_sees_no_personal_value_in_full_in_any_answer() {
    let app = spawn_app().await;
    let id = scattered_person(&app).await;
    let cookie = analyst(&app).await;
    for path in person_paths(&id) {
        let r = get_as(&app, &cookie, &path).await;
        assert_eq!(r.status(), 200, "{path}");
        let body = squeezed(&r.text().await.unwrap());
        for secret in SECRETS {
            assert!(!body.contains(&squeezed(secret)), "{secret} in {path}: {body}");
        }
    }
    let person: Value = get_as(&app, &cookie, &format!("/api/v1/people/{id}")).await.json().await.unwrap();
    assert_eq!(person["traits"]["Phone"], "139****5678", "the usual mask form, under any key");
    assert_eq!(person["traits"]["nickname"], "小李", "what is not personal stays readable");
    let found: Value = get_as(&app, &cookie, "/api/v1/people?q=138%201234%205678").await.json().await.unwrap();
    assert_eq!(found[0]["phone"], "138****5678", "a whole phone still finds the person");
}

#[tokio::test]
async fn the_owner_still_sees_everything_in_full() {
    let app = spawn_app().await;
    let id = scattered_person(&app).await;
    let mut seen = String::new();
    for path in person_paths(&id) {
        seen.push_str(&squeezed(&app.api(&path).await.text().await.unwrap()));
    }
    for secret in SECRETS {
        assert!(seen.contains(&squeezed(secret)), "{secret} hidden from the owner");
    }
}

#[tokio::test]
async fn an_analyst_finds_nothing_by_fragments_of_a_phone() {
    let app = spawn_app().await;
    ingest(
        &app,
        "/v1/identify",
        json!({"userId": "u1", "traits": {"phone": "13812345678", "nickname": "李姐13812345678"}}),
    )
    .await;
    assert!(app.ingestor.settled(std::time::Duration::from_secs(10)).await);
    let cookie = analyst(&app).await;
    for fragment in ["1234", "3812", "5678", "1381", "138 1234", "李姐1381234"] {
        let r = get_as(&app, &cookie, &format!("/api/v1/people?q={}", urlencode(fragment))).await;
        assert_eq!(r.status(), 200, "{fragment}");
        let found: Value = r.json().await.unwrap();
        assert_eq!(found, json!([]), "{fragment} found someone: {found}");
    }
    let owner = app.api_json("/api/v1/people?q=1234").await;
    assert_eq!(owner.as_array().unwrap().len(), 1, "the owner searches nicknames as before");
}

#[tokio::test]
async fn rapid_searches_are_answered_429_rate_limited() {
    let app = spawn_app().await;
    let cookie = analyst(&app).await;
    let mut limited = None;
    for i in 0..200 {
        let r = get_as(&app, &cookie, &format!("/api/v1/people?q=1381234{i:04}")).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r.json::<Value>().await.unwrap());
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let e = limited.expect("200 rapid searches are limited at some point");
    assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("rate_limited"), Some("q")), "{e}");
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn a_formula_nickname_is_neutralised_in_the_segment_csv() {
    let app = spawn_app().await;
    let formula = "=HYPERLINK(\"http://x\",\"y\")";
    ingest(&app, "/v1/identify", json!({"userId": "u1", "traits": {"nickname": formula, "phone": "13812345678"}}))
        .await;
    ingest(
        &app,
        "/v1/track",
        json!({"userId": "u1", "event": "Order Completed",
        "properties": {"order_id": "o-1", "revenue": 59.9, "products": [{"sku": "kiwi-12", "quantity": 1}]}}),
    )
    .await;
    let r = app.send(reqwest::Method::POST, "/api/v1/segments", &json!({"name": "下单", "rule": "orders >= 1"})).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let csv = app.api(&format!("/api/v1/segments/{id}/members.csv")).await.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let row = rows.records().next().expect("one member").unwrap();
    assert_eq!(&row[1], format!("'{formula}"), "{csv}");
    assert_eq!(&row[2], "'+8613812345678", "a phone's + would start a formula too");
    assert_eq!(&row[6], "59.90", "numbers stay numbers (yuan, as the operator reads money)");
}

/// Text without the spaces and dashes phones are written with, so `137-1234-5678` is found
/// as `13712345678`.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn a_template_preview_does_not_reveal_a_phone_written_in_a_nickname() {
    let app = spawn_app().await;
    ingest(
        &app,
        "/v1/identify",
        json!({"userId": "u1", "traits": {"nickname": "李 13812345678", "phone": "13812345678"}}),
    )
    .await;
    assert!(app.ingestor.settled(std::time::Duration::from_secs(10)).await);
    let (cookie, csrf) = analyst_session(&app).await;
    let body =
        json!({"person": "user_id:u1", "template": {"name": "t", "channel": "wecom", "text": "{{nickname}}，你好"}});
    let r = app
        .client
        .post(format!("{}/api/v1/message-templates/preview", app.base))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(!squeezed(&text).contains("13812345678"), "{text}");
    assert!(text.contains("138****5678"), "{text}");
    // The owner's preview is whole.
    let owner = app.send(reqwest::Method::POST, "/api/v1/message-templates/preview", &body).await.text().await.unwrap();
    assert!(owner.contains("李 13812345678"), "{owner}");
}
