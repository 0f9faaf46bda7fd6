//! Hostile input: the programme. Deep, huge, array and mistyped bodies are 4xx naming the
//! field and change nothing; out-of-range settings name their field; injected text is refused
//! as a type; roles without the permission are refused; another store's setting is its own.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ADMIN, spawn_app_at, token_for};

use super::{answer, raw};

const PATH: &str = "/api/v1/programme/control";

#[tokio::test]
async fn hostile_control_group_bodies_are_refused_by_field_and_change_nothing() {
    let app = spawn_app_at("2027-01-10T02:00:00Z").await;
    let set = json!({"percent": 10, "refresh_days": 60, "since": "2027-01-01"});
    assert_eq!(app.send(Method::PUT, PATH, &set).await.status(), StatusCode::OK);
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let huge = format!("{{\"since\": \"{}\"}}", "x".repeat(3 << 20)).into_bytes();
    for (what, body, expected) in [
        ("deep", deep, StatusCode::BAD_REQUEST),
        ("huge", huge, StatusCode::PAYLOAD_TOO_LARGE),
        ("not json", b"{\"percent\": ".to_vec(), StatusCode::BAD_REQUEST),
        ("an array", b"[10, 90]".to_vec(), StatusCode::BAD_REQUEST),
    ] {
        let (status, b) = raw(&app, Method::PUT, PATH, ADMIN, body).await;
        assert_eq!(status, expected, "{what}: {b}");
        assert!(b["code"].is_string() && b["field"].is_string(), "{what}: {b}");
    }
    for (body, field) in [
        (json!({"percent": 31}), "percent"),
        (json!({"percent": -1}), "percent"),
        (json!({"percent": 1e3}), "percent"),
        (json!({"percent": "10"}), "percent"),
        (json!({"percent": 10, "refresh_days": 731}), "refresh_days"),
        (json!({"percent": 10, "refresh_days": 4_294_967_296u64}), "refresh_days"),
        (json!({"percent": 10, "since": "2027-02-30"}), "since"),
        (json!({"percent": 10, "since": "'; DROP TABLE control_groups; --"}), "since"),
        (json!({"percent": 10, "since": "２０２７-01-01"}), "since"),
        (json!({"percent": 10, "share": 5}), "share"),
        (json!({"percent": {"$gt": 0}}), "percent"),
    ] {
        let (status, b) = answer(app.send(Method::PUT, PATH, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert_eq!(b["field"].as_str(), Some(field), "{body}: {b}");
        assert!(b["message"].is_string(), "{b}");
    }
    assert_eq!(app.api_json(PATH).await, set, "nothing refused was saved");
    for q in ["period=-1", "period=abc", "period=10000", "period=1e3"] {
        let (status, b) = answer(app.api(&format!("/api/v1/programme?{q}")).await).await;
        assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("period")), "{q}: {b}");
    }
}

#[tokio::test]
async fn roles_and_other_stores() {
    let app = spawn_app_at("2027-01-10T02:00:00Z").await;
    let analyst = token_for(&app, Role::Analyst).await;
    let (status, _) = raw(&app, Method::PUT, PATH, &analyst, br#"{"percent": 30}"#.to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let operator = token_for(&app, Role::Operator).await;
    let (status, b) = raw(&app, Method::PUT, PATH, &operator, br#"{"percent": 5}"#.to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    // An analyst reads the setting and the readout.
    for path in [PATH, "/api/v1/programme"] {
        let r = app.client.get(format!("{}{path}", app.base)).bearer_auth(&analyst).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    // Another store's control group is its own, and stays off.
    app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    assert_eq!(app.api_json(&format!("{PATH}?workspace=north")).await["percent"], 0);
    assert_eq!(app.api_json("/api/v1/programme?workspace=north").await["status"], "off");
    assert_eq!(app.api_json(PATH).await["percent"], 5);
}
