//! The programme over HTTP: the global control group's setting (read, replaced, audited,
//! turned on today when no day is given) and the readout's states and figures.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app_at;

#[tokio::test]
async fn the_control_group_is_set_audited_and_read_against_the_treated() {
    // 10:00 in Shanghai on 2027-01-10.
    let app = spawn_app_at("2027-01-10T02:00:00Z").await;
    let off = app.api_json("/api/v1/programme/control").await;
    assert_eq!(off, json!({"percent": 0, "refresh_days": 90, "since": null}));
    let view = app.api_json("/api/v1/programme").await;
    assert_eq!((view["status"].as_str(), &view["programme"]), (Some("off"), &Value::Null), "{view}");

    // Turned on without a day: the first period starts today, in the store's zone.
    let r = app.send(Method::PUT, "/api/v1/programme/control", &json!({"percent": 20})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved, json!({"percent": 20, "refresh_days": 90, "since": "2027-01-10"}));
    assert_eq!(app.api_json("/api/v1/programme/control").await, saved);
    let audit = app.api_json("/api/v1/audit").await;
    let actions: Vec<&str> = audit.as_array().into_iter().flatten().filter_map(|a| a["action"].as_str()).collect();
    assert!(actions.contains(&"programme.control.update"), "{actions:?}");

    // People who ordered before, then some again today: the readout splits them by the draw.
    let mut batch = Vec::new();
    for i in 0..60 {
        batch.push(
            json!({"type": "track", "event": "Order Completed", "userId": format!("u{i}"), "messageId": format!("a{i}"),
            "timestamp": "2026-12-20T04:00:00Z", "properties": {"order_id": format!("a{i}"), "revenue": 20}}),
        );
        if i % 3 == 0 {
            batch.push(json!({"type": "track", "event": "Order Completed", "userId": format!("u{i}"), "messageId": format!("b{i}"),
                "timestamp": "2027-01-10T01:00:00Z", "properties": {"order_id": format!("b{i}"), "revenue": 35.5}}));
        }
    }
    assert_eq!(app.post("/v1/batch", &json!({"batch": batch})).await.status(), StatusCode::OK);
    app.events().await;
    let view = app.api_json("/api/v1/programme").await;
    assert_eq!(view["status"], "read", "{view}");
    let p = &view["programme"];
    assert_eq!(
        (p["from"].as_str(), p["to"].as_str(), p["period"]["number"].as_u64()),
        (Some("2027-01-10"), Some("2027-01-10"), Some(0))
    );
    let (c, t) = (&p["control"], &p["treated"]);
    assert_eq!(c["people"].as_u64().unwrap() + t["people"].as_u64().unwrap(), 60);
    assert_eq!(c["orders"].as_u64().unwrap() + t["orders"].as_u64().unwrap(), 20);
    assert_eq!(c["revenue_fen"].as_i64().unwrap() + t["revenue_fen"].as_i64().unwrap(), 20 * 3550);
    assert_eq!(c["buyers_before"].as_u64().unwrap() + t["buyers_before"].as_u64().unwrap(), 60);
    let metrics: Vec<&str> =
        p["readout"]["metrics"].as_array().unwrap().iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(metrics, ["order_rate", "orders_per_person", "revenue_per_person", "retention"]);
    // Sixty people are too few to call.
    assert_eq!(p["readout"]["metrics"][0]["verdict"], "too_small", "{p}");

    // A period that has not begun, and a first day in the future.
    assert_eq!(app.api_json("/api/v1/programme?period=1").await["status"], "not_begun");
    let later = json!({"percent": 20, "refresh_days": 30, "since": "2027-02-01"});
    assert_eq!(app.send(Method::PUT, "/api/v1/programme/control", &later).await.status(), StatusCode::OK);
    assert_eq!(app.api_json("/api/v1/programme").await["status"], "not_begun");
}
