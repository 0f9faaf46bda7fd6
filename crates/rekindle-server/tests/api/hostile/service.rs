//! Hostile input: the service desk and the FAQ knowledge base. Deep, huge and mistyped bodies
//! are 4xx naming the field and write nothing; odd ticket ids are unknown tickets; injected
//! and right-to-left text is stored as text; control characters are refused; a role without
//! personal data sees a phone written in a note, a message or a question masked; another
//! store's tickets, conversations and entries do not exist.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ADMIN, TestApp, spawn_app, token_for};

use super::{answer, raw};

async fn member(app: &TestApp, user: &str, phone: &str) {
    let who =
        json!({"type": "identify", "userId": user, "messageId": format!("id-{user}"), "traits": {"phone": phone}});
    assert_eq!(app.post("/v1/identify", &who).await.status(), 200);
    app.events().await;
}

async fn ticket(app: &TestApp, note: &str) -> String {
    let (status, t) = answer(
        app.send(Method::POST, "/api/v1/service/tickets", &json!({"person": "u1", "reason": "spoiled", "note": note}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hostile_service_bodies_are_refused_by_field_and_write_nothing() {
    let app = spawn_app().await;
    member(&app, "u1", "13800138000").await;
    let id = ticket(&app, "first").await;
    let before = app.events().await.len();
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let huge = format!("{{\"csv\": \"{}\"}}", "x".repeat(3 << 20)).into_bytes();
    let routes = [
        (Method::POST, "/api/v1/service/tickets".to_owned()),
        (Method::POST, format!("/api/v1/service/tickets/{id}/updates")),
        (Method::POST, format!("/api/v1/service/tickets/{id}/resolution")),
        (Method::POST, "/api/v1/service/messages".to_owned()),
        (Method::PUT, "/api/v1/service/settings".to_owned()),
        (Method::POST, "/api/v1/faq/import".to_owned()),
        (Method::POST, "/api/v1/faq/ask".to_owned()),
        (Method::PUT, "/api/v1/faq/entries/milk".to_owned()),
    ];
    for (method, path) in &routes {
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
    // Mistyped and out-of-range fields are named.
    let cases = [
        ("/api/v1/service/tickets", json!({"person": "u1", "reason": 5}), "reason"),
        ("/api/v1/service/tickets", json!({"person": "u1", "reason": "late", "note": "a\u{0}b"}), "note"),
        ("/api/v1/service/tickets", json!({"person": "u1", "reason": "late", "assignee": "x".repeat(101)}), "assignee"),
        ("/api/v1/service/messages", json!({"person": "u1", "direction": "sideways", "text": "hi"}), "direction"),
        ("/api/v1/service/messages", json!({"person": "u1", "direction": "inbound", "text": "  "}), "text"),
        ("/api/v1/service/messages", json!({"person": "u1", "direction": "inbound", "text": "x".repeat(2001)}), "text"),
        ("/api/v1/faq/ask", json!({"question": "问".repeat(501)}), "question"),
        ("/api/v1/faq/ask", json!({"question": ["牛奶"]}), "question"),
        (
            "/api/v1/faq/import",
            json!({"csv": "id,category,question,alternatives,answer\nok,,问,,\n"}),
            "csv.line[2].answer",
        ),
    ];
    for (path, body, field) in cases {
        let (status, b) = answer(app.send(Method::POST, path, &body).await).await;
        assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{path} {body:.60}: {b}");
    }
    let (status, b) =
        answer(app.send(Method::PUT, "/api/v1/service/settings", &json!({"faq_threshold": "high"})).await).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("faq_threshold")));
    let (status, b) =
        answer(app.send(Method::PUT, "/api/v1/service/settings", &json!({"faq_threshold": 1e308})).await).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("faq_threshold")), "{b}");
    assert_eq!(app.events().await.len(), before, "nothing refused was written");
    assert!(app.api_json("/api/v1/faq/entries").await["entries"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn odd_ticket_ids_are_unknown_tickets_and_injected_text_is_only_text() {
    let app = spawn_app().await;
    member(&app, "u1", "13800138000").await;
    for id in ["' OR 1=1 --", "../../etc/passwd", "%F0%9F%99%82", "%E2%80%AEk1", &"k".repeat(5000)] {
        let (status, b) = answer(
            app.send(Method::POST, &format!("/api/v1/service/tickets/{id}/updates"), &json!({"note": "x"})).await,
        )
        .await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{id:.20}: {status} {b}");
        assert!(b["code"].is_string(), "{b}");
    }
    let injected = "'); DROP TABLE events; -- <script>alert(1)</script> \u{202e}مرحبا 🙂";
    let id = ticket(&app, injected).await;
    let msg = json!({"person": "u1", "direction": "inbound", "text": injected});
    assert_eq!(app.send(Method::POST, "/api/v1/service/messages", &msg).await.status(), StatusCode::ACCEPTED);
    let entry = json!({"id": "x", "question": injected, "answer": injected});
    assert_eq!(app.send(Method::PUT, "/api/v1/faq/entries/x", &entry).await.status(), StatusCode::OK);
    let list = app.api_json("/api/v1/service/tickets").await;
    assert_eq!(list["tickets"][0]["id"], id.as_str());
    assert_eq!(list["tickets"][0]["notes"][0]["text"], injected, "stored as text; the console escapes it");
    assert_eq!(app.api_json("/api/v1/service/conversations").await["waiting"][0]["text"], injected);
    assert_eq!(app.api_json("/api/v1/faq/entries").await["entries"][0]["answer"], injected);
    let (_, a) = answer(app.send(Method::POST, "/api/v1/faq/ask", &json!({"question": injected})).await).await;
    assert_eq!(a["candidates"][0]["entry_id"], "x", "{a}");
}

#[tokio::test]
async fn roles_without_personal_data_see_phones_masked_and_change_nothing() {
    let app = spawn_app().await;
    member(&app, "u1", "13800138000").await;
    let id = ticket(&app, "顾客电话 13912345678，晚上回电").await;
    let msg = json!({"person": "u1", "direction": "inbound", "text": "我的电话是13912345678"});
    assert_eq!(app.send(Method::POST, "/api/v1/service/messages", &msg).await.status(), StatusCode::ACCEPTED);
    let (_, _) =
        answer(app.send(Method::POST, "/api/v1/faq/ask", &json!({"question": "打13912345678找谁"})).await).await;
    for role in [Role::Host, Role::Analyst] {
        let token = token_for(&app, role).await;
        let get = |path: &'static str| {
            let app = &app;
            let token = token.clone();
            async move {
                let r = app.client.get(format!("{}{path}", app.base)).bearer_auth(&token).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{role} {path}");
                r.text().await.unwrap()
            }
        };
        for path in [
            "/api/v1/service/tickets",
            "/api/v1/service/conversations",
            "/api/v1/service/conversations/u1",
            "/api/v1/faq/handoffs",
        ] {
            let text = get(path).await;
            assert!(!text.contains("13912345678"), "{role} sees the phone in {path}: {text}");
            assert!(text.contains("139****5678"), "{role} sees it masked in {path}: {text}");
        }
        for (method, path, body) in [
            (Method::POST, "/api/v1/service/tickets".to_owned(), json!({"person": "u1", "reason": "late"})),
            (Method::POST, format!("/api/v1/service/tickets/{id}/resolution"), json!({"resolution": "x"})),
            (
                Method::POST,
                "/api/v1/service/messages".to_owned(),
                json!({"person": "u1", "direction": "reply", "text": "x"}),
            ),
            (Method::PUT, "/api/v1/service/settings".to_owned(), json!({})),
            (Method::POST, "/api/v1/faq/import".to_owned(), json!({"csv": "x"})),
            (Method::DELETE, "/api/v1/faq/entries/x".to_owned(), json!({})),
        ] {
            let (status, _) = raw(&app, method.clone(), &path, &token, serde_json::to_vec(&body).unwrap()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {method} {path}");
        }
        // Asking for a named customer hands off to the service: not for these roles.
        let (status, _) =
            raw(&app, Method::POST, "/api/v1/faq/ask", &token, br#"{"question": "q", "person": "u1"}"#.to_vec()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
}

#[tokio::test]
async fn another_stores_tickets_conversations_and_entries_do_not_exist() {
    let app = spawn_app().await;
    member(&app, "u1", "13800138000").await;
    let id = ticket(&app, "默认店").await;
    let msg = json!({"person": "u1", "direction": "inbound", "text": "在吗"});
    assert_eq!(app.send(Method::POST, "/api/v1/service/messages", &msg).await.status(), StatusCode::ACCEPTED);
    app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    let owner = token_for(&app, Role::Owner).await;
    let north = |p: &str| format!("{p}{}workspace=north", if p.contains('?') { '&' } else { '?' });
    for (method, path, body) in [
        (Method::POST, format!("/api/v1/service/tickets/{id}/updates"), json!({"note": "x"})),
        (Method::POST, format!("/api/v1/service/tickets/{id}/resolution"), json!({"resolution": "x"})),
        (Method::POST, "/api/v1/service/tickets".to_owned(), json!({"person": "u1", "reason": "late"})),
        (Method::POST, "/api/v1/service/messages".to_owned(), msg.clone()),
    ] {
        let (status, b) = raw(&app, method, &north(&path), ADMIN, serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {b}");
    }
    let r = app
        .client
        .get(format!("{}{}", app.base, north("/api/v1/service/conversations/u1")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list = app.api_json(&north("/api/v1/service/tickets?status=all")).await;
    assert_eq!(list["total"], 0);
    assert_eq!(app.api_json(&north("/api/v1/service/conversations")).await["total"], 0);
    // An owner of the default store only: north is not theirs.
    let r = app
        .client
        .get(format!("{}{}", app.base, north("/api/v1/faq/entries")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
