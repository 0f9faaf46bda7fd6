//! `GET /api/v1/wecom/jsapi-config`: a chat-sidebar page's `wx.agentConfig` parameters, signed
//! with the WeCom stand-in's application ticket (fetched once), for any role that reads people;
//! 404 without WeCom or its AgentId, 400 naming `url`, 503 when WeCom cannot be reached.

use rekindle_core::access::Role;
use rekindle_delivery::standin::{Provider, StandIn};
use rekindle_delivery::wecom::jsapi_signature;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{ADMIN, TestApp, spawn_app, spawn_app_with, token_for};

const PATH: &str = "/api/v1/wecom/jsapi-config";

async fn app_with_wecom() -> (TestApp, StandIn) {
    let wecom = StandIn::start(Provider::Wecom).await;
    let channels = wecom.config();
    let app = spawn_app_with(|c| c.channels = channels).await;
    (app, wecom)
}

async fn get(app: &TestApp, token: &str, url: Option<&str>) -> (StatusCode, Value) {
    let mut address = reqwest::Url::parse(&format!("{}{PATH}", app.base)).unwrap();
    if let Some(url) = url {
        address.query_pairs_mut().append_pair("url", url);
    }
    let r = app.client.get(address).bearer_auth(token).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_answer_is_signed_with_wecoms_application_ticket() {
    let (app, wecom) = app_with_wecom().await;
    let service = token_for(&app, Role::Service).await;
    let page = "https://shop.example/sidebar/?from=chat&v=2";
    let (status, first) = get(&app, &service, Some(&format!("{page}#/customer"))).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["corp_id"].as_str(), first["agent_id"].as_str()), (Some("wwstandin00000001"), Some("1000002")));
    let nonce = first["nonce_str"].as_str().unwrap();
    let timestamp = first["timestamp"].as_i64().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60, "{first}");
    let tickets = wecom.agent_tickets();
    assert_eq!(tickets.len(), 1);
    // The fragment is not signed.
    assert_eq!(first["signature"].as_str(), Some(jsapi_signature(&tickets[0], nonce, timestamp, page).as_str()));

    // Another role, another page: the same ticket.
    let analyst = token_for(&app, Role::Analyst).await;
    let (status, second) = get(&app, &analyst, Some("http://shop.example/other")).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(wecom.tickets_issued(), 1);
    let expected = jsapi_signature(
        &tickets[0],
        second["nonce_str"].as_str().unwrap(),
        second["timestamp"].as_i64().unwrap(),
        "http://shop.example/other",
    );
    assert_eq!(second["signature"].as_str(), Some(expected.as_str()));
    assert_ne!(first["nonce_str"], second["nonce_str"]);
}

#[tokio::test]
async fn a_bad_url_is_a_400_naming_it_and_wecom_is_not_asked() {
    let (app, wecom) = app_with_wecom().await;
    for url in [None, Some(""), Some("javascript:alert(1)"), Some("ftp://shop.example/"), Some("/sidebar")] {
        let (status, body) = get(&app, ADMIN, url).await;
        assert_eq!(status, 400, "{url:?}: {body}");
        assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some("invalid_field"), Some("url")), "{body}");
    }
    assert_eq!(wecom.tickets_issued(), 0);
}

#[tokio::test]
async fn without_wecom_or_its_agent_id_it_is_a_404() {
    let app = spawn_app().await;
    let (status, body) = get(&app, ADMIN, Some("https://shop.example/")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{body}");

    let wecom = StandIn::start(Provider::Wecom).await;
    let mut channels = wecom.config();
    channels.wecom.as_mut().unwrap().agent_id = None;
    let app = spawn_app_with(|c| c.channels = channels).await;
    let (status, body) = get(&app, ADMIN, Some("https://shop.example/")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("agent_id"), "{body}");
    assert_eq!(wecom.requests(), 0);
}

#[tokio::test]
async fn an_unreachable_wecom_is_a_503() {
    let wecom = StandIn::start(Provider::Wecom).await;
    let mut channels = wecom.config();
    // Nothing listens on port 1 of loopback.
    channels.wecom.as_mut().unwrap().api_base = "http://127.0.0.1:1".into();
    let app = spawn_app_with(|c| c.channels = channels).await;
    let (status, body) = get(&app, ADMIN, Some("https://shop.example/")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")), "{body}");
}
