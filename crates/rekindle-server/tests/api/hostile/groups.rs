//! Hostile input: customer groups, group posts and the referral views. Deep, huge and mistyped
//! bodies are 4xx naming the field and write nothing; injected and right-to-left text is kept
//! as text; odd ids are unknown; a role without personal data sees phones masked; another
//! store's groups and referrals do not exist.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, spawn_app, token_for};

use super::{answer, raw};

#[tokio::test]
async fn hostile_group_posts_are_refused_by_field_and_write_nothing() {
    let app = spawn_app().await;
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let huge = format!("{{\"text\": \"{}\"}}", "x".repeat(3 << 20)).into_bytes();
    for (what, body, expected) in [
        ("deep", deep, StatusCode::BAD_REQUEST),
        ("huge", huge, StatusCode::PAYLOAD_TOO_LARGE),
        ("not json", b"{\"a\": ".to_vec(), StatusCode::BAD_REQUEST),
        ("an array", b"[]".to_vec(), StatusCode::BAD_REQUEST),
    ] {
        let (status, b) = raw(&app, Method::POST, "/api/v1/groups/posts", ADMIN, body).await;
        assert_eq!(status, expected, "{what}: {b}");
        assert!(b["code"].is_string() && b["field"].is_string(), "{what}: {b}");
    }
    let base = json!({"groups": ["g1"], "sender": "s1", "text": "t", "key": "k"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("groups", json!("g1")), "groups"),
        (with("groups", json!(["g\u{0}1"])), "groups"),
        (with("groups", json!((0..201).map(|i| format!("g{i}")).collect::<Vec<_>>())), "groups"),
        (with("sender", json!(7)), "sender"),
        (with("promotional", json!("yes")), "promotional"),
        (with("text", json!("长".repeat(1301))), "text"),
        (with("attachments", json!({"type": "link"})), "attachments"),
        (with("attachments", json!([{"type": "image", "url": "javascript:alert(1)"}])), "attachments[0].url"),
        (
            with(
                "attachments",
                json!([{"type": "miniprogram", "title": "t", "appid": "", "page": "p", "pic_url": "https://x/a.jpg"}]),
            ),
            "attachments[0].appid",
        ),
    ] {
        let (status, b) = answer(app.send(Method::POST, "/api/v1/groups/posts", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert_eq!(b["field"], field, "{body}: {b}");
    }
    assert!(app.store.group_posts(app.ws, None, 10).await.unwrap().is_empty(), "nothing written");

    // Injected and right-to-left text is text.
    let odd = "'); DROP TABLE group_posts;-- \u{202e}<script>alert(1)</script>";
    let (status, b) = answer(app.send(Method::POST, "/api/v1/groups/posts", &with("text", json!(odd))).await).await;
    assert_eq!((status, &b[0]["outcome"]), (StatusCode::OK, &json!("queued")), "{b}");
    let posts = app.api_json("/api/v1/groups/posts").await;
    assert_eq!(posts[0]["text"], odd);
    for bad in ["/api/v1/groups/posts?limit=0", "/api/v1/groups/posts?limit=x", "/api/v1/referrals?limit=1000"] {
        let (status, b) = answer(app.api(bad).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {b}");
        assert_eq!(b["field"], "limit", "{bad}: {b}");
    }
    for odd_id in ["%00", "..%2F..%2Fetc", "%E2%80%AE", &"g".repeat(3000)] {
        let status = app.api(&format!("/api/v1/groups/{odd_id}")).await.status();
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{odd_id}: {status}");
    }
}

#[tokio::test]
async fn referral_views_mask_and_stay_in_their_store() {
    let app = spawn_app().await;
    let inviter = json!({"type": "identify", "userId": "inv", "messageId": "id-inv", "traits": {"phone": "13800138000", "nickname": "王姐 13800138000"}});
    let friend = json!({"type": "identify", "userId": "fr", "messageId": "id-fr", "traits": {"invited_by": "inv", "nickname": "小李"}});
    for m in [inviter, friend] {
        assert_eq!(app.post("/v1/identify", &m).await.status(), 200);
    }
    app.events().await;
    let mine = app.api_json("/api/v1/people/inv/referral").await;
    let code = mine["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8, "{mine}");
    assert!(mine["share_link"].as_str().unwrap().contains(&code));
    assert_eq!(app.api_json("/api/v1/people/inv/referral").await["code"], code.as_str(), "the same code again");
    let friend = app.api_json("/api/v1/people/fr/referral").await;
    assert_eq!(friend["invited_by"]["name"], "王姐 13800138000", "{friend}");

    let analyst = token_for(&app, Role::Analyst).await;
    let seen: Value = app
        .client
        .get(format!("{}/api/v1/people/fr/referral", app.base))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let name = seen["invited_by"]["name"].as_str().unwrap();
    assert!(!name.contains("13800138000"), "{name}");
    // Other stores, unknown people.
    assert_eq!(app.api("/api/v1/people/nobody/referral").await.status(), StatusCode::NOT_FOUND);
    assert!(app.api("/api/v1/referrals?workspace=elsewhere").await.status().is_client_error());
    assert!(app.api("/api/v1/groups?workspace=elsewhere").await.status().is_client_error());
}
