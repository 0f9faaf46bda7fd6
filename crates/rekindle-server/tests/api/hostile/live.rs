//! Hostile input: the live room's monitor, stream, review and CSV. Odd, long and injected
//! session ids are unknown sessions, never a crash; another workspace's session does not exist;
//! a Chinese session id exports a CSV with a valid file name; a role without personal data sees
//! a phone in a question masked in the export too.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_at, token_for};

use super::answer;

const START: &str = "2026-05-05T12:00:00Z";

async fn put_session(app: &TestApp, id: &str) {
    let body = json!([{"object": "live_session", "id": id, "title": "专场", "topics": [], "host": "小鹿",
        "scheduled_start": START, "started_at": START, "ended_at": "2026-05-05T13:00:00Z"}]);
    let r = app.send(Method::PUT, "/api/v1/live-sessions", &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

fn encode(id: &str) -> String {
    id.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn odd_session_ids_are_unknown_sessions_and_the_server_lives() {
    let app = spawn_app_at("2026-05-05T14:00:00Z").await;
    let long = "直".repeat(5000);
    let ids = ["' OR 1=1 --", "../../etc/passwd", "s1\u{0}", "%", "🙂", "\u{202e}s1", long.as_str(), " "];
    for id in ids {
        for part in ["monitor", "review", "review/export.csv", "monitor/stream"] {
            let path = format!("/api/v1/live/sessions/{}/{part}", encode(id));
            let (status, body) = answer(app.api(&path).await).await;
            assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{part} {id:.20}: {status}");
            assert!(body["code"].is_string(), "a JSON error: {body}");
            assert!(!body.to_string().contains(&long), "the id is not echoed in full");
        }
    }
    let (status, _) = answer(app.api("/api/v1/live/sessions/%E7%9B%B4/monitor").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Still serving.
    put_session(&app, "s1").await;
    let (status, _) = answer(app.api("/api/v1/live/sessions/s1/review").await).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn another_workspaces_session_does_not_exist() {
    let app = spawn_app_at("2026-05-05T14:00:00Z").await;
    let north = app.store.create_workspace("north", "North", "Asia/Shanghai").await.unwrap().id;
    let session = rekindle_core::objects::LiveSession {
        id: "n1".into(),
        title: "北店专场".into(),
        topics: vec![],
        host: "北".into(),
        scheduled_start: START.parse().unwrap(),
        started_at: None,
        ended_at: None,
    };
    app.store.put_live_sessions(north, vec![session]).await.unwrap();
    let owner = token_for(&app, rekindle_core::access::Role::Owner).await;
    for path in [
        "/api/v1/live/sessions/n1/monitor",
        "/api/v1/live/sessions/n1/review",
        "/api/v1/live/sessions/n1/monitor?workspace=north",
        "/api/v1/live/sessions/n1/review/export.csv?workspace=north",
        "/api/v1/live/sessions/n1/monitor/stream?workspace=north",
    ] {
        let r = app.client.get(format!("{}{path}", app.base)).bearer_auth(&owner).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_chinese_session_id_exports_and_an_analyst_sees_no_phone_in_it() {
    let app = spawn_app_at("2026-05-05T14:00:00Z").await;
    let id = "直播\"一\"";
    put_session(&app, id).await;
    let ask = json!({"type": "track", "userId": "u1", "event": "Live Commented", "messageId": "q1",
        "timestamp": "2026-05-05T12:10:00Z",
        "properties": {"session_id": id, "comment_id": "c1", "is_question": true, "text": "13812345678 包邮吗"}});
    assert_eq!(app.post("/v1/batch", &json!({"batch": [ask]})).await.status(), 200);
    app.events().await;
    for part in ["figures", "curve", "products"] {
        let r = app.api(&format!("/api/v1/live/sessions/{}/review/export.csv?part={part}", encode(id))).await;
        assert_eq!(r.status(), StatusCode::OK, "{part}");
        let d = r.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(d.contains("filename*=UTF-8''review%2D%E7%9B%B4"), "{d}");
    }
    // The question is in the monitor of an ended session's review for the analyst: masked.
    let analyst = token_for(&app, rekindle_core::access::Role::Analyst).await;
    let url = format!("{}/api/v1/live/sessions/{}/monitor", app.base, encode(id));
    let body = app.client.get(&url).bearer_auth(&analyst).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("包邮") && !body.contains("13812345678"), "{body}");
    // Bad parts and languages are told by field.
    let r = app.api(&format!("/api/v1/live/sessions/{}/review/export.csv?part=%27%3B--", encode(id))).await;
    let (status, body) = answer(r).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("part")), "{body}");
}
