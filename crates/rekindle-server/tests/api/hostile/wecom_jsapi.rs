//! Hostile input: the `url` a chat-sidebar page asks `GET /api/v1/wecom/jsapi-config` to sign.
//! Huge, script, Unicode, control characters, undecodable or repeated: each is a 400 naming
//! `url` that does not repeat a huge value back, and WeCom's ticket is never fetched for one.

use rekindle_delivery::standin::{Provider, StandIn};
use reqwest::StatusCode;

use super::answer;
use crate::helpers::{ADMIN, TestApp, spawn_app_with};

const PATH: &str = "/api/v1/wecom/jsapi-config";

async fn app_with_wecom() -> (TestApp, StandIn) {
    let wecom = StandIn::start(Provider::Wecom).await;
    let channels = wecom.config();
    let app = spawn_app_with(|c| c.channels = channels).await;
    (app, wecom)
}

/// The route with `url` percent-encoded into the query, as a browser's `URLSearchParams` would.
fn with_url(app: &TestApp, url: &str) -> reqwest::Url {
    let mut address = reqwest::Url::parse(&format!("{}{PATH}", app.base)).unwrap();
    address.query_pairs_mut().append_pair("url", url);
    address
}

#[tokio::test]
async fn hostile_urls_are_400s_naming_url_and_never_reach_wecom() {
    let (app, wecom) = app_with_wecom().await;
    let huge = format!("https://shop.example/{}", "a".repeat(60_000));
    let just_over = format!("https://shop.example/{}", "a".repeat(1024 - 20));
    let cases: [(&str, &str); 14] = [
        ("huge", &huge),
        ("one byte over 1024", &just_over),
        ("javascript", "javascript:alert(document.cookie)"),
        ("javascript, upper case, //", "JAVASCRIPT://shop.example/%0Aalert(1)"),
        ("data", "data:text/html;base64,PHNjcmlwdD4="),
        ("file", "file:///etc/passwd"),
        ("unicode path", "https://shop.example/会员/侧边栏"),
        ("unicode host", "https://商店.example/"),
        ("right-to-left override", "https://shop.example/\u{202e}gpj.exe"),
        ("CRLF", "https://shop.example/\r\nSet-Cookie: a=b"),
        ("NUL", "https://shop.example/\0"),
        ("space", "https://shop.example/a b"),
        ("no host", "https:///sidebar"),
        ("relative", "//shop.example/sidebar"),
    ];
    for (what, url) in cases {
        let r = app.client.get(with_url(&app, url)).bearer_auth(ADMIN).send().await.unwrap();
        let (status, body) = answer(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some("invalid_field"), Some("url")), "{what}");
        assert!(body.to_string().len() < 400, "{what}: the answer repeats the input: {body}");
    }

    // Missing, empty, undecodable and repeated, written by hand.
    for query in ["", "?url=", "?url=%FF%FE", "?url=https%3A%2F%2Fa.example%2F&url=https%3A%2F%2Fb.example%2F"] {
        let r = app.client.get(format!("{}{PATH}{query}", app.base)).bearer_auth(ADMIN).send().await.unwrap();
        let (status, body) = answer(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"].as_str(), Some("invalid_field"), "{query}: {body}");
        assert!(matches!(body["field"].as_str(), Some("url") | Some("query")), "{query}: {body}");
    }

    assert_eq!(wecom.tickets_issued(), 0);
    // Still serving: a good URL is signed.
    let r = app.client.get(with_url(&app, "https://shop.example/")).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
