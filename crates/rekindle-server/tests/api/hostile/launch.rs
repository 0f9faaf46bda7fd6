//! Hostile input: launch safety. Deep, huge, array and mistyped bodies to the launch
//! settings, test sends and approvals are 4xx naming the field and write nothing; injected
//! text in a seed's name or a rejection is only text; roles without the permission are
//! refused; another store's journeys do not exist.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ADMIN, spawn_app, token_for};

use super::{answer, raw};

#[tokio::test]
async fn hostile_launch_bodies_are_refused_by_field_and_write_nothing() {
    let app = spawn_app().await;
    let definition = json!({"trigger": {"type": "event", "event": "Order Completed"},
                            "steps": [{"id": "w", "type": "wait", "minutes": 5}]});
    let r = app.send(Method::POST, "/api/v1/journeys", &json!({"name": "j", "definition": definition})).await;
    let id = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let huge = format!("{{\"step\": \"{}\"}}", "x".repeat(3 << 20)).into_bytes();
    let paths = [
        (Method::PUT, "/api/v1/launch-settings".to_owned()),
        (Method::POST, format!("/api/v1/journeys/{id}/test-send")),
        (Method::POST, format!("/api/v1/journeys/{id}/approval")),
    ];
    for (method, path) in &paths {
        for (what, body, expected) in [
            ("deep", deep.clone(), StatusCode::BAD_REQUEST),
            ("huge", huge.clone(), StatusCode::PAYLOAD_TOO_LARGE),
            ("not json", b"{\"a\": ".to_vec(), StatusCode::BAD_REQUEST),
            ("an array", b"[]".to_vec(), StatusCode::BAD_REQUEST),
        ] {
            let (status, b) = raw(&app, method.clone(), path, ADMIN, body).await;
            assert_eq!(status, expected, "{what} to {method} {path}: {b}");
            assert!(b["code"].is_string() && b["field"].is_string(), "{what} to {path}: {b}");
        }
    }
    let seed = |v: serde_json::Value| json!({"seeds": [v]});
    for (body, field) in [
        (json!({"approval_required": "yes"}), "approval_required"),
        (json!({"seeds": "all"}), "seeds"),
        (json!({"extra": 1}), "extra"),
        (seed(json!({"name": "", "phone": "13800000000"})), "seeds[0].name"),
        (seed(json!({"name": "x\u{0}y", "phone": "13800000000"})), "seeds[0].name"),
        (seed(json!({"name": "王".repeat(41), "phone": "13800000000"})), "seeds[0].name"),
        (seed(json!({"name": "王", "phone": "'; DROP TABLE outbox;--"})), "seeds[0].phone"),
        (seed(json!({"name": "王", "phone": 13800000000u64})), "seeds"),
        (seed(json!({"name": "王"})), "seeds[0].phone"),
        (seed(json!({"name": "王", "openid": "o".repeat(65)})), "seeds[0].openid"),
        (seed(json!({"name": "王", "wecom_external_userid": "wm"})), "seeds[0].wecom_staff_userid"),
        (json!({"seeds": vec![json!({"name": "王", "openid": "o"}); 21]}), "seeds"),
    ] {
        let (status, b) = answer(app.send(Method::PUT, "/api/v1/launch-settings", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:.120}: {b}");
        let got = b["field"].as_str().unwrap_or_default();
        assert!(got == field || got.starts_with(field) || got == "body", "{body:.120}: {b}");
    }
    assert_eq!(
        app.api_json("/api/v1/launch-settings").await,
        json!({"approval_required": false, "seeds": []}),
        "nothing written"
    );

    // Injected text is kept as text.
    let name = "<script>alert(1)</script>王";
    let r = app.send(Method::PUT, "/api/v1/launch-settings", &seed(json!({"name": name, "openid": "o-1"}))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.api_json("/api/v1/launch-settings").await["seeds"][0]["name"], name);

    let test_send = format!("/api/v1/journeys/{id}/test-send");
    for (body, field) in [
        (json!({}), "step"),
        (json!({"step": 5}), "step"),
        (json!({"step": ""}), "step"),
        (json!({"step": "w", "channel": "fax"}), "channel"),
        (json!({"step": "w"}), "step"),
        (json!({"step": "w", "to": "13900000000"}), "to"),
    ] {
        let (status, b) = answer(app.send(Method::POST, &test_send, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        let got = b["field"].as_str().unwrap_or_default();
        assert!(got == field || got == "body", "{body}: {b}");
    }
    let approval = format!("/api/v1/journeys/{id}/approval");
    for (body, field) in [
        (json!({"decision": "maybe"}), "decision"),
        (json!({"decision": "reject", "reason": ""}), "reason"),
        (json!({"decision": "reject", "reason": "x".repeat(501)}), "reason"),
        (json!({"decision": 1}), "decision"),
    ] {
        let (status, b) = answer(app.send(Method::POST, &approval, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:.80}: {b}");
        let got = b["field"].as_str().unwrap_or_default();
        assert!(got == field || got == "body", "{body:.80}: {b}");
    }

    // Roles: the analyst and the host neither read the seeds nor test-send; only an owner
    // decides or changes the settings.
    for role in [Role::Analyst, Role::Host, Role::Service] {
        let token = token_for(&app, role).await;
        for (method, path, body) in [
            (Method::GET, "/api/v1/launch-settings".to_owned(), json!(null)),
            (Method::PUT, "/api/v1/launch-settings".to_owned(), json!({})),
            (Method::POST, test_send.clone(), json!({"step": "w"})),
            (Method::POST, approval.clone(), json!({"decision": "approve"})),
        ] {
            let mut r = app.client.request(method.clone(), format!("{}{path}", app.base)).bearer_auth(&token);
            if !body.is_null() {
                r = r.json(&body);
            }
            let (status, b) = answer(r.send().await.unwrap()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {method} {path}: {b}");
        }
    }

    // Another store's journey does not exist here.
    let other = app.store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    let d: rekindle_core::journey::Definition = serde_json::from_value(definition).unwrap();
    let theirs = app.store.create_journey(other, "theirs", &d, chrono::Utc::now()).await.unwrap().id;
    for path in [format!("/api/v1/journeys/{theirs}/test-send"), format!("/api/v1/journeys/{theirs}/approval")] {
        let body = if path.ends_with("approval") { json!({"decision": "approve"}) } else { json!({"step": "w"}) };
        let (status, b) = answer(app.send(Method::POST, &path, &body).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {b}");
    }
}
