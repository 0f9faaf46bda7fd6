//! Hostile input: the journey shapes of issue 23 (action paths, date and weekday waits,
//! limits). Every bad shape is a 400 naming `definition`, or a saved draft whose problems name
//! the field, refused at publishing; nothing is a 500, and the server lives.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{answer, raw};
use crate::helpers::{ADMIN, TestApp, spawn_app};

fn journey(steps: Value) -> Value {
    json!({"trigger": {"type": "event", "event": "Order Completed"}, "steps": steps})
}

async fn draft(app: &TestApp) -> i64 {
    let d = journey(json!([{"id": "w", "type": "wait", "minutes": 5}]));
    let (status, body) =
        answer(app.send(Method::POST, "/api/v1/journeys", &json!({"name": "草稿", "definition": d})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

/// Saving is refused as a shape (400 at `definition`), or saved with a problem at `field`
/// that publishing then refuses.
async fn refused(app: &TestApp, id: i64, d: Value, field: &str) {
    let path = format!("/api/v1/journeys/{id}");
    let (status, body) = answer(app.send(Method::PUT, &path, &json!({"definition": d})).await).await;
    if status == StatusCode::BAD_REQUEST {
        assert_eq!(body["field"], "definition", "{field}: {body}");
        return;
    }
    assert_eq!(status, StatusCode::OK, "{field}: {body}");
    let fields: Vec<&str> = body["problems"].as_array().unwrap().iter().filter_map(|p| p["field"].as_str()).collect();
    assert!(fields.contains(&field), "{field} not in {fields:?}");
    let (status, body) = answer(app.send(Method::POST, &format!("{path}/publish"), &json!({})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
    let (status, _) = answer(app.api("/api/v1/journeys").await).await;
    assert_eq!(status, StatusCode::OK, "the server lives");
}

#[tokio::test]
async fn action_paths_waits_and_limits_refuse_what_no_operator_means() {
    let app = spawn_app().await;
    let id = draft(&app).await;
    let end = json!({"id": "end", "type": "exit"});
    let wait_for = |paths: Value, timeout: Value| {
        journey(json!([{"id": "w", "type": "wait_for", "timeout_minutes": timeout, "paths": paths}, end]))
    };
    let path = json!({"event": "Order Completed", "next": "end"});
    let many: Vec<Value> = (0..10_000).map(|_| path.clone()).collect();
    refused(&app, id, wait_for(json!(many), json!(60)), "steps[0].paths").await;
    refused(&app, id, wait_for(json!([]), json!(60)), "steps[0].paths").await;
    refused(&app, id, wait_for(json!([path]), json!(0)), "steps[0].timeout_minutes").await;
    refused(&app, id, wait_for(json!([path]), json!(u64::MAX)), "definition").await;
    refused(&app, id, wait_for(json!([path]), json!("48h")), "definition").await;
    refused(&app, id, wait_for(json!([{"event": "", "next": "end"}]), json!(60)), "steps[0].paths[0].event").await;
    let long = "下".repeat(5_000);
    refused(&app, id, wait_for(json!([{"event": long, "next": "end"}]), json!(60)), "steps[0].paths[0].event").await;
    refused(&app, id, wait_for(json!([{"event": "X", "next": "nowhere"}]), json!(60)), "steps[0].paths[0].next").await;
    // Nested 5,000 deep: built as text (a `Value` that deep would overflow this test's own
    // stack when dropped); the server's JSON parser stops at its depth limit, naming the body.
    let deep = format!("{}\"x\"{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    let body = format!(
        r#"{{"definition": {{"trigger": {{"type": "event", "event": "X"}}, "steps": [{{"id": "w", "type": "wait_for",
        "timeout_minutes": 60, "paths": [{{"event": "X", "next": "w", "properties": {{"k": {deep}}}}}]}}]}}}}"#
    );
    let (status, body) = raw(&app, Method::PUT, &format!("/api/v1/journeys/{id}"), ADMIN, body.into_bytes()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")), "{body}");
    let at_id = journey(json!([{"id": "@w", "type": "wait", "minutes": 5}]));
    refused(&app, id, at_id, "steps[0].id").await;

    let date = |field: Value, offset: Value| {
        journey(
            json!([{"id": "w", "type": "wait", "date": {"field": field, "offset_days": offset}, "next": "end"}, end]),
        )
    };
    refused(&app, id, date(json!("trigger."), json!(1)), "steps[0].date.field").await;
    refused(&app, id, date(json!("'; DROP TABLE enrollments; --"), json!(1)), "steps[0].date.field").await;
    refused(&app, id, date(json!(format!("trigger.{}", "a".repeat(10_000))), json!(1)), "steps[0].date.field").await;
    refused(&app, id, date(json!("last_order"), json!(100_000)), "steps[0].date.offset_days").await;
    refused(&app, id, date(json!("last_order"), json!(1e12)), "definition").await;
    refused(&app, id, date(json!(["last_order"]), json!(1)), "definition").await;
    let weekdays = |days: Value| journey(json!([{"id": "w", "type": "wait", "until": "10:00", "weekdays": days}]));
    refused(&app, id, weekdays(json!([0, 8])), "steps[0].weekdays").await;
    refused(&app, id, weekdays(json!([-1])), "definition").await;
    let both = journey(json!([{"id": "w", "type": "wait", "minutes": 5, "until": "10:00"}]));
    refused(&app, id, both, "steps[0].minutes").await;

    let limits = |l: Value| {
        json!({"trigger": {"type": "event", "event": "Order Completed"}, "limits": l,
        "steps": [{"id": "w", "type": "wait", "minutes": 5}]})
    };
    refused(&app, id, limits(json!({"priority": 0})), "limits.priority").await;
    refused(&app, id, limits(json!({"priority": 300})), "definition").await;
    refused(&app, id, limits(json!({"entries_per_day": 0})), "limits.entries_per_day").await;
    refused(&app, id, limits(json!({"message_tag": "促".repeat(100)})), "limits.message_tag").await;
    refused(&app, id, limits(json!({"surprise": 1})), "definition").await;
}
