//! Hostile input: the WeCom relationship layer (channel codes, transfers, tag sync, the
//! sidebar, friendships). Deep, huge and mistyped bodies are 4xx naming the field and write
//! nothing; injected and right-to-left text is kept as text; roles without `contacts.manage`
//! cannot write; names are masked for roles without `pii.read`; another store's do not exist.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, spawn_app, token_for};

use super::{answer, raw};

#[tokio::test]
async fn hostile_codes_transfers_and_tag_sync_are_refused_by_field_and_write_nothing() {
    let app = spawn_app().await;
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(3 << 20)).into_bytes();
    for path in ["/api/v1/contacts/codes", "/api/v1/contacts/transfers"] {
        for (what, body, expected) in [
            ("deep", deep.clone(), StatusCode::BAD_REQUEST),
            ("huge", huge.clone(), StatusCode::PAYLOAD_TOO_LARGE),
            ("not json", b"{\"a\": ".to_vec(), StatusCode::BAD_REQUEST),
            ("an array", b"[]".to_vec(), StatusCode::BAD_REQUEST),
        ] {
            let (status, b) = raw(&app, Method::POST, path, ADMIN, body).await;
            assert_eq!(status, expected, "{path} {what}: {b}");
            assert!(b["code"].is_string(), "{path} {what}: {b}");
        }
    }
    let base = json!({"name": "直播间", "source": "live", "staff": ["host-1"]});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("name", json!("")), "name"),
        (with("name", json!(7)), "name"),
        (with("source", json!("'; DROP TABLE x;--")), "source"),
        (with("source", json!("直播")), "source"),
        (with("staff", json!("host-1")), "staff"),
        (with("staff", json!([])), "staff"),
        (with("staff", json!(["\u{202e}host"])), "staff[0]"),
        (with("staff", json!((0..101).map(|i| format!("s{i}")).collect::<Vec<_>>())), "staff"),
        (with("pick", json!("sometimes")), "pick"),
        (with("kind", json!("group")), "groups"),
        (with("tags", json!(["x".repeat(31)])), "tags[0]"),
        (with("surprise", json!(1)), "surprise"),
    ] {
        let (status, b) = answer(app.send(Method::POST, "/api/v1/contacts/codes", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(b["field"].as_str().is_some_and(|f| f.starts_with(field) || f == field), "{body}: {b}");
    }
    assert!(app.store.channel_codes(app.ws).await.unwrap().is_empty(), "nothing written");
    // Injected and right-to-left names are names.
    let odd = "'); DROP TABLE x;--\u{202e}<b>";
    let (status, made) =
        answer(app.send(Method::POST, "/api/v1/contacts/codes", &with("name", json!(odd))).await).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(app.api_json("/api/v1/contacts/codes").await["codes"][0]["name"], odd);
    for odd_id in ["0", "99", "x", "%00", &"9".repeat(40)] {
        let status = app.send(Method::PUT, &format!("/api/v1/contacts/codes/{odd_id}"), &base).await.status();
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{odd_id}: {status}");
    }

    for (body, field) in [
        (json!({"kind": "on_job", "handover": "a", "takeover": "a"}), "takeover"),
        (json!({"kind": "later", "handover": "a", "takeover": "b"}), "kind"),
        (json!({"kind": "on_job", "handover": "<a>", "takeover": "b"}), "handover"),
        (json!({"kind": "on_job", "handover": "a", "takeover": "b", "customers": []}), "customers"),
        (json!({"kind": "on_job", "handover": "a", "takeover": "b", "customers": ["nobody-here"]}), "customers[0]"),
    ] {
        let (status, b) = answer(app.send(Method::POST, "/api/v1/contacts/transfers", &body).await).await;
        assert!(status.is_client_error(), "{body}: {status} {b}");
        assert_eq!(b["field"], field, "{body}: {b}");
    }
    assert_eq!(app.api_json("/api/v1/contacts/transfers").await["transfers"], json!([]));

    for (body, field) in [
        (json!({"enabled": true, "group_name": ""}), "group_name"),
        (json!({"enabled": "yes"}), "enabled"),
        (json!({"tags": ["没有"]}), "tags[0]"),
    ] {
        let (status, b) = answer(app.send(Method::PUT, "/api/v1/contacts/tag-sync", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert_eq!(b["field"], field, "{body}: {b}");
    }
    // Without WeCom there is nothing to reconcile or sync with.
    let (status, b) = answer(app.send(Method::POST, "/api/v1/contacts/reconcile", &json!({})).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
    let (status, b) = answer(app.send(Method::POST, "/api/v1/contacts/tag-sync/run", &json!({})).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "off until enabled: {b}");
}

#[tokio::test]
async fn relationship_views_keep_to_roles_and_stores() {
    let app = spawn_app().await;
    let added = json!({"type": "track", "event": "Contact Added", "userId": "u1", "messageId": "c1",
        "properties": {"staff_id": "guide-1", "source": "live", "code": "live-1"},
        "context": {"traits": {"nickname": "王姐 13800138000", "wecom_external_userid": "wm-1"}}});
    let named = json!({"type": "identify", "userId": "u1", "messageId": "i1", "traits": {"nickname": "王姐 13800138000", "wecom_external_userid": "wm-1"}});
    for (path, m) in [("/v1/identify", named), ("/v1/track", added)] {
        assert_eq!(app.post(path, &m).await.status(), 200);
    }
    app.events().await;
    let host = token_for(&app, Role::Host).await;
    let analyst = token_for(&app, Role::Analyst).await;
    let as_role = |token: String, method: Method, path: &'static str, body: Value| {
        let app = &app;
        async move {
            app.client
                .request(method, format!("{}{path}", app.base))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    for (method, path) in [
        (Method::POST, "/api/v1/contacts/codes"),
        (Method::POST, "/api/v1/contacts/transfers"),
        (Method::PUT, "/api/v1/contacts/tag-sync"),
        (Method::POST, "/api/v1/contacts/reconcile"),
    ] {
        let r = as_role(host.clone(), method.clone(), path, json!({})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path} as host");
    }
    let side: Value =
        as_role(analyst.clone(), Method::GET, "/api/v1/sidebar?customer=wm-1", json!({})).await.json().await.unwrap();
    let name = side["name"].as_str().unwrap_or_default();
    assert!(!name.contains("13800138000") && !name.is_empty(), "masked for an analyst: {side}");
    assert_eq!(side["friendships"][0]["staff_id"], "guide-1", "{side}");
    for odd in ["", "%00", "..%2F..%2Fetc", "'%20OR%201=1", &"w".repeat(3000)] {
        let status = app.api(&format!("/api/v1/sidebar?customer={odd}")).await.status();
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{odd}: {status}");
    }
    for path in [
        "/api/v1/contacts?workspace=elsewhere",
        "/api/v1/contacts/codes?workspace=elsewhere",
        "/api/v1/contacts/transfers?workspace=elsewhere",
    ] {
        assert!(app.api(path).await.status().is_client_error(), "{path}");
    }
}

#[tokio::test]
async fn hostile_reach_assignments_are_refused_by_field_and_keep_to_roles_and_stores() {
    let app = spawn_app().await;
    let buyer = |user: &str, phone: &str| {
        json!({"type": "identify", "userId": user, "messageId": format!("id-{user}"),
            "traits": {"phone": phone, "nickname": format!("王姐 {phone}")}})
    };
    let order = |user: &str| {
        json!({"type": "track", "userId": user, "event": "Order Completed", "messageId": format!("o-{user}"),
            "properties": {"order_id": format!("o-{user}"), "revenue": 10}})
    };
    for m in [buyer("u1", "13800138001"), order("u1"), buyer("u2", "13800138002"), order("u2")] {
        let path = if m["type"] == "identify" { "/v1/identify" } else { "/v1/track" };
        assert_eq!(app.post(path, &m).await.status(), 200);
    }
    app.events().await;
    let path = "/api/v1/contacts/reach";

    // Bodies no client would send: 4xx naming the body or the field, nothing written.
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let huge = format!("{{\"staff\": [\"{}\"]}}", "x".repeat(3 << 20)).into_bytes();
    for (what, body, expected) in [
        ("deep", deep, StatusCode::BAD_REQUEST),
        ("huge", huge, StatusCode::PAYLOAD_TOO_LARGE),
        ("not json", b"{\"staff\": ".to_vec(), StatusCode::BAD_REQUEST),
        ("an array", b"[\"guide-1\"]".to_vec(), StatusCode::BAD_REQUEST),
    ] {
        let (status, b) = raw(&app, Method::POST, path, ADMIN, body).await;
        assert_eq!(status, expected, "{what}: {b}");
        assert!(b["code"].is_string(), "{what}: {b}");
    }
    let many: Vec<String> = (0..51).map(|i| format!("s{i}")).collect();
    for (body, field) in [
        (json!({}), "staff"),
        (json!({"staff": []}), "staff"),
        (json!({"staff": "guide-1"}), "staff"),
        (json!({"staff": many}), "staff"),
        (json!({"staff": [""]}), "staff[0]"),
        (json!({"staff": ["guide-1", "\u{202e}guide"]}), "staff[1]"),
        (json!({"staff": ["'; DROP TABLE x;--"]}), "staff[0]"),
        (json!({"staff": ["x".repeat(65)]}), "staff[0]"),
        (json!({"staff": ["guide-1", "guide-1"]}), "staff[1]"),
        (json!({"staff": [7]}), "staff[0]"),
        (json!({"staff": ["guide-1"], "limit": 0}), "limit"),
        (json!({"staff": ["guide-1"], "limit": 2001}), "limit"),
        (json!({"staff": ["guide-1"], "limit": -1}), "limit"),
        (json!({"staff": ["guide-1"], "limit": "200"}), "limit"),
        (json!({"staff": ["guide-1"], "limit": 1e99}), "limit"),
        (json!({"staff": ["guide-1"], "segment": "vip"}), "segment"),
        (json!({"staff": ["guide-1"], "surprise": 1}), "surprise"),
    ] {
        let (status, b) = answer(app.send(Method::POST, path, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(b["field"].as_str().is_some_and(|f| f == field || f.starts_with(&format!("{field}."))), "{body}: {b}");
    }
    let (status, b) =
        answer(app.send(Method::POST, path, &json!({"staff": ["guide-1"], "segment": 99999})).await).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::NOT_FOUND, Some("segment")), "{b}");
    assert_eq!(app.api_json(path).await, json!({"batches": []}), "nothing written");
    assert!(app.events().await.iter().all(|e| e.name.as_deref() != Some("Reach Task Assigned")));

    // Odd batch ids: 400 or 404, never a 500, for the list and its CSV.
    let (status, made) = answer(app.send(Method::POST, path, &json!({"staff": ["guide-1"], "limit": 1})).await).await;
    assert_eq!((status, made["assigned"].as_u64()), (StatusCode::CREATED, Some(1)), "{made}");
    let batch = made["batch"].as_str().unwrap().to_owned();
    for odd in
        ["nope", "%00", "..%2F..%2Fetc", "'%20OR%201=1", "b1%0d%0aSet-Cookie:%20x", &"b".repeat(3000), "%E2%80%AEb1"]
    {
        for tail in ["", "/csv"] {
            let status = app.api(&format!("{path}/{odd}{tail}")).await.status();
            assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{odd}{tail}: {status}");
        }
    }
    let (status, b) = answer(app.api(&format!("{path}/{batch}/csv?lang=fr")).await).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("lang")), "{b}");
    // A staff filter naming nobody is an empty list.
    let none = app.api_json(&format!("{path}/{batch}?staff=%3Cscript%3E")).await;
    assert_eq!(none["tasks"], json!([]), "{none}");

    // Roles: a host cannot assign; an analyst reads, masked.
    let host = token_for(&app, Role::Host).await;
    let analyst = token_for(&app, Role::Analyst).await;
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&host)
        .json(&json!({"staff": ["guide-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&analyst)
        .json(&json!({"staff": ["x"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let seen: Value = app
        .client
        .get(format!("{}{path}/{batch}", app.base))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = &seen["tasks"][0];
    let (name, phone) = (row["name"].as_str().unwrap_or_default(), row["phone"].as_str().unwrap_or_default());
    assert!(!name.contains("13800138") && !phone.contains("0013800") && phone.contains("****"), "{seen}");
    let r = app.client.get(format!("{}{path}/{batch}/csv", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "signed out");

    // Another store: its own (empty) batches; this store's batch and segments are not there.
    app.store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap();
    assert_eq!(app.api_json(&format!("{path}?workspace=north")).await, json!({"batches": []}));
    for p in [format!("{path}/{batch}?workspace=north"), format!("{path}/{batch}/csv?workspace=north")] {
        assert_eq!(app.api(&p).await.status(), StatusCode::NOT_FOUND, "{p}");
    }
    let segment = app.api_json("/api/v1/segments").await["segments"][0]["id"].as_i64().unwrap();
    let r = app
        .send(Method::POST, &format!("{path}?workspace=north"), &json!({"staff": ["guide-1"], "segment": segment}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.client.get(format!("{}{path}?workspace=north", app.base)).bearer_auth(&analyst).send().await.unwrap();
    assert!(r.status().is_client_error(), "an analyst of another store");
    let r = app.client.get(format!("{}{path}?workspace=elsewhere", app.base)).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
