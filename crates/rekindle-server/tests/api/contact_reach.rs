//! Bulk reach over HTTP (docs/relationships.md, "Bulk reach"): phone-only buyers handed to two
//! staff members in turn, a friendship with the assigned staff member counted as done, names and
//! phones masked for an analyst in the list and the CSV, and nobody handed out twice within 14
//! days.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_clocked, token_for};

async fn ingest(app: &TestApp, path: &str, m: Value) {
    let r = app.post(path, &m).await;
    assert_eq!(r.status(), 200, "{m}");
}

/// A buyer with a phone and a name, who ordered at `at`.
async fn buyer(app: &TestApp, user: &str, phone: &str, at: &str) {
    let traits = json!({"phone": phone, "nickname": format!("顾客 {user}")});
    ingest(
        app,
        "/v1/identify",
        json!({"userId": user, "messageId": format!("id-{user}"), "traits": traits, "timestamp": at}),
    )
    .await;
    let order = json!({"userId": user, "event": "Order Completed", "messageId": format!("order-{user}"), "timestamp": at,
        "properties": {"order_id": format!("o-{user}"), "revenue": 88, "currency": "CNY"}});
    ingest(app, "/v1/track", order).await;
}

async fn added(app: &TestApp, user: &str, staff: &str, at: &str) {
    let m = json!({"userId": user, "event": "Contact Added", "messageId": format!("add-{user}-{staff}"), "timestamp": at,
        "properties": {"staff_id": staff, "source": "offline"}});
    ingest(app, "/v1/track", m).await;
}

async fn person_id(app: &TestApp, user: &str) -> String {
    app.api_json(&format!("/api/v1/people/user_id:{user}")).await["id"].as_str().unwrap().to_owned()
}

async fn assign(app: &TestApp, body: Value) -> Value {
    let r = app.send(Method::POST, "/api/v1/contacts/reach", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

fn staff_of(batch: &Value, id: &str) -> (u64, u64, u64) {
    let s = batch["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["staff_id"] == id)
        .unwrap_or_else(|| panic!("{id}: {batch}"));
    (s["assigned"].as_u64().unwrap(), s["added"].as_u64().unwrap(), s["pending"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_only_buyers_are_handed_out_in_turn_and_followed_until_added() {
    let (app, clock) = spawn_app_clocked("2026-05-01T06:00:00Z", |_| {}).await;
    buyer(&app, "u1", "13800138001", "2026-04-20T02:00:00Z").await;
    buyer(&app, "u2", "13800138002", "2026-04-25T02:00:00Z").await;
    buyer(&app, "u3", "13800138003", "2026-04-28T02:00:00Z").await;
    // u3 is already a friend of a staff member; someone who never ordered is not a buyer.
    added(&app, "u3", "guide-9", "2026-04-28T03:00:00Z").await;
    ingest(&app, "/v1/identify", json!({"userId": "u4", "messageId": "id-u4", "traits": {"phone": "13800138004"}}))
        .await;
    app.events().await;
    let (u1, u2) = (person_id(&app, "u1").await, person_id(&app, "u2").await);

    // Nothing assigned yet.
    assert_eq!(app.api_json("/api/v1/contacts/reach").await, json!({"batches": []}));

    // The two phone-only buyers, the latest order first, to the two staff members in turn.
    let first = assign(&app, json!({"staff": ["guide-1", "guide-2"], "limit": 10})).await;
    assert_eq!(first["assigned"], 2, "{first}");
    assert_eq!(
        first["per_staff"],
        json!([{"staff_id": "guide-1", "assigned": 1}, {"staff_id": "guide-2", "assigned": 1}])
    );
    let batch = first["batch"].as_str().unwrap().to_owned();
    let list = app.api_json(&format!("/api/v1/contacts/reach/{batch}")).await;
    let who: Vec<(&str, &str)> = list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["person"].as_str().unwrap(), t["staff_id"].as_str().unwrap()))
        .collect();
    let mut want = vec![(u2.as_str(), "guide-1"), (u1.as_str(), "guide-2")];
    want.sort_by_key(|(_, s)| *s);
    assert_eq!(who, want, "{list}");
    let task = &list["tasks"][0];
    assert_eq!(task["phone"], "+8613800138002", "the owner sees the phone: {task}");
    assert_eq!(task["name"], "顾客 u2");
    assert_eq!(task["assigned_at"], "2026-05-01T06:00:00Z");
    assert_eq!(task["last_order_at"], "2026-04-25T02:00:00Z");
    assert!(task["added_at"].is_null());
    // The assignment is an event on the customer.
    let events = app.events().await;
    let on_u2: Vec<_> = events.iter().filter(|e| e.name.as_deref() == Some("Reach Task Assigned")).collect();
    assert_eq!(on_u2.len(), 2);
    let props = on_u2.iter().map(|e| e.properties().clone()).find(|p| p["staff_id"] == "guide-1").unwrap();
    assert_eq!((props["batch_id"].as_str(), props["assigned_by"].as_str()), (Some(batch.as_str()), Some("api")));

    // u2 adds guide-1: one done, one to do.
    clock.set("2026-05-01T08:00:00Z");
    added(&app, "u2", "guide-1", "2026-05-01T07:30:00Z").await;
    // u1 adding someone else (and dropping them again) is not the task done.
    added(&app, "u1", "guide-7", "2026-05-01T07:40:00Z").await;
    let removed = json!({"userId": "u1", "event": "Contact Removed", "messageId": "rm-u1", "timestamp": "2026-05-01T07:50:00Z",
        "properties": {"staff_id": "guide-7", "by": "customer"}});
    ingest(&app, "/v1/track", removed).await;
    app.events().await;
    let batches = app.api_json("/api/v1/contacts/reach").await;
    let b = &batches["batches"][0];
    assert_eq!(
        (b["batch"].as_str(), b["assigned"].as_u64(), b["added"].as_u64()),
        (Some(batch.as_str()), Some(2), Some(1))
    );
    assert_eq!(b["created_at"], "2026-05-01T06:00:00Z");
    assert_eq!((staff_of(b, "guide-1"), staff_of(b, "guide-2")), ((1, 1, 0), (1, 0, 1)), "{b}");
    let list = app.api_json(&format!("/api/v1/contacts/reach/{batch}?staff=guide-1")).await;
    assert_eq!(list["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(list["tasks"][0]["added_at"], "2026-05-01T07:30:00Z");

    // An analyst sees masked names and phones, in the list and in the CSV.
    let analyst = token_for(&app, Role::Analyst).await;
    let get = |path: String| {
        let (app, token) = (&app, analyst.clone());
        async move { app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap() }
    };
    let r = get(format!("/api/v1/contacts/reach/{batch}")).await;
    assert_eq!(r.status(), 200);
    let masked: Value = r.json().await.unwrap();
    for t in masked["tasks"].as_array().unwrap() {
        let phone = t["phone"].as_str().unwrap();
        assert!(phone.contains("****") && !phone.contains("0013800"), "{t}");
    }
    let r = get(format!("/api/v1/contacts/reach/{batch}/csv?lang=en")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next(), Some("person,nickname,phone,staff,assigned_at,last_order,status,added_at"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows.iter().all(|r| r.contains("138****800")), "{csv}");
    assert!(!csv.contains("13800138001") && !csv.contains("13800138002"), "{csv}");
    assert!(
        rows.iter().any(|r| r.contains(",guide-1,2026-05-01 14:00:00,") && r.contains(",added,2026-05-01 15:30:00")),
        "{csv}"
    );
    let zh = app.api(&format!("/api/v1/contacts/reach/{batch}/csv")).await.text().await.unwrap();
    assert!(zh.starts_with("\u{feff}用户 ID,昵称,手机号,员工,分配时间,最近下单,状态,添加时间"), "{zh}");
    assert!(zh.contains("+8613800138001") && zh.contains("待添加"), "the owner sees phones: {zh}");

    // Within 14 days nobody is handed out twice: only a new buyer is.
    buyer(&app, "u5", "13800138005", "2026-05-01T07:00:00Z").await;
    app.events().await;
    let second = assign(&app, json!({"staff": ["guide-2"]})).await;
    assert_eq!(second["assigned"], 1, "{second}");
    let listed = app.api_json(&format!("/api/v1/contacts/reach/{}", second["batch"].as_str().unwrap())).await;
    assert_eq!(listed["tasks"][0]["person"], person_id(&app, "u5").await.as_str());
    let none = assign(&app, json!({"staff": ["guide-2"]})).await;
    assert_eq!(
        (none["assigned"].as_u64(), &none["per_staff"]),
        (Some(0), &json!([{"staff_id": "guide-2", "assigned": 0}]))
    );
    assert_eq!(
        app.api_json("/api/v1/contacts/reach").await["batches"].as_array().unwrap().len(),
        2,
        "an empty batch is no batch"
    );

    // Past 14 days, u1 (still not added) can be handed to someone else; u2 is a friend now.
    clock.set("2026-05-15T07:00:00Z");
    let third = assign(&app, json!({"staff": ["guide-3"], "limit": 5})).await;
    let listed = app.api_json(&format!("/api/v1/contacts/reach/{}", third["batch"].as_str().unwrap())).await;
    let people: Vec<&str> = listed["tasks"].as_array().unwrap().iter().map(|t| t["person"].as_str().unwrap()).collect();
    assert_eq!(people, [u1.as_str()], "{listed}");
    // Their task moved to the newest batch.
    let b = app.api_json(&format!("/api/v1/contacts/reach/{batch}")).await;
    assert_eq!((b["assigned"].as_u64(), b["added"].as_u64()), (Some(1), Some(1)), "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_keeps_to_a_segment() {
    let (app, _clock) = spawn_app_clocked("2026-05-01T06:00:00Z", |_| {}).await;
    buyer(&app, "u1", "13800138001", "2026-04-20T02:00:00Z").await;
    buyer(&app, "u2", "13800138002", "2026-04-25T02:00:00Z").await;
    // u1 ordered twice: the segment's only member.
    let again = json!({"userId": "u1", "event": "Order Completed", "messageId": "order-u1-2", "timestamp": "2026-04-10T02:00:00Z",
        "properties": {"order_id": "o-u1-2", "revenue": 20, "currency": "CNY"}});
    ingest(&app, "/v1/track", again).await;
    app.events().await;
    let r = app.send(Method::POST, "/api/v1/segments", &json!({"name": "复购", "rule": "orders >= 2"})).await;
    let status = r.status();
    let segment: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{segment}");
    let id = segment["id"].as_i64().unwrap();
    let got = assign(&app, json!({"staff": ["guide-1"], "segment": id})).await;
    assert_eq!(got["assigned"], 1, "{got}");
    let listed = app.api_json(&format!("/api/v1/contacts/reach/{}", got["batch"].as_str().unwrap())).await;
    assert_eq!(listed["tasks"][0]["person"], person_id(&app, "u1").await.as_str());
}
