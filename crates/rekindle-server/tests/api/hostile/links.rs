//! Hostile input: tracked links (`/l/{code}`, no login). Over-long, unicode, path-climbing,
//! injected, NUL and invalid-UTF-8 codes are unknown links, answered with the JSON error body
//! and never a 500 or a redirect; a stored address that is not a web address is never
//! redirected to; another method is a JSON 405.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

/// Status and JSON body, failing the test when the body is not JSON.
async fn json_answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let content_type = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    assert_eq!(content_type.as_deref(), Some("application/json"), "{status}: {text:?}");
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {text:?} is not JSON: {e}")))
}

#[tokio::test]
async fn hostile_link_codes_are_unknown_links_never_a_redirect_or_a_500() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let long = "A".repeat(5000);
    for code in [
        long.as_str(),
        "草莓草莓草莓草莓草莓草莓",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2f",
        "a/b/c",
        "'%20OR%201=1--",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%00",
        "ABCDEFGHJKM%00",
        "%FF%FE",
        "%E2%80%AEABCDEFGHJKMN",
        "ＡＢＣＤＥＦＧＨＪＫＭＮ",
        "ABCDEFGHJKMN?url=https://evil.example",
        "ABCDEFGHJKMN",
    ] {
        let r = client.get(format!("{}/l/{code}", app.base)).send().await.unwrap();
        assert!(r.headers().get("location").is_none(), "{code:.40}: no redirect");
        let (status, body) = json_answer(r).await;
        assert!(status.is_client_error(), "{code:.40}: {status} {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.chars().count() < 200), "{code:.40}: {body}");
    }
    let (status, _) = json_answer(client.post(format!("{}/l/ABCDEFGHJKMN", app.base)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    // An address that is not a web address, however it got into the store, is not followed.
    let code = rekindle_core::outreach::tracked::link_code(app.ws, "planted", 0);
    let planted = rekindle_store::TrackedLink {
        code: code.clone(),
        send_key: "planted".into(),
        person: rekindle_core::PersonId::new_v7(),
        journey: None,
        step: None,
        variant: None,
        channel: rekindle_core::outreach::ChannelKind::Wecom,
        url: "javascript:alert(1)".into(),
        created_at: chrono::Utc::now(),
    };
    app.store.save_links(app.ws, &[planted]).await.unwrap();
    let r = client.get(format!("{}/l/{code}", app.base)).send().await.unwrap();
    assert!(r.headers().get("location").is_none());
    assert_eq!(json_answer(r).await.0, StatusCode::NOT_FOUND);
}
