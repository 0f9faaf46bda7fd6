//! `wx.agentConfig` signing against the WeCom stand-in, through the real client: one
//! application ticket for many concurrent callers, reused afterwards, each signature
//! recomputable from it; bad URLs and a missing AgentId refused before WeCom is asked.
#![cfg(feature = "standin")]

use std::sync::Arc;

use rekindle_delivery::standin::{Fault, Provider, StandIn};
use rekindle_delivery::wecom::{INVALID_URL, jsapi_signature};
use rekindle_delivery::{Channels, FailureKind, SendError, WecomClient};

async fn start() -> (StandIn, Arc<WecomClient>) {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = Channels::from_config(&standin.config()).unwrap().wecom().unwrap();
    (standin, client)
}

#[tokio::test]
async fn one_ticket_serves_concurrent_callers_and_later_ones() {
    let (standin, client) = start().await;
    standin.set_delay(std::time::Duration::from_millis(50));
    let calls = (0..16).map(|i| {
        let client = client.clone();
        tokio::spawn(async move { client.agent_config(&format!("https://shop.example/sidebar?i={i}#/x")).await })
    });
    let configs = join_all(calls).await;
    assert_eq!(standin.tickets_issued(), 1);
    let ticket = standin.agent_tickets().remove(0);
    for (i, config) in configs.iter().enumerate() {
        assert_eq!(config.corp_id, "wwstandin00000001");
        assert_eq!(config.agent_id, "1000002");
        let url = format!("https://shop.example/sidebar?i={i}");
        assert_eq!(config.signature, jsapi_signature(&ticket, &config.nonce_str, config.timestamp, &url));
    }
    assert!((chrono::Utc::now().timestamp() - configs[0].timestamp).abs() < 60);

    // Within the hour: the same ticket, a fresh nonce.
    let again = client.agent_config("https://shop.example/sidebar?i=0").await.unwrap();
    assert_eq!(standin.tickets_issued(), 1);
    assert_ne!(again.nonce_str, configs[0].nonce_str);
    assert_eq!(
        again.signature,
        jsapi_signature(&ticket, &again.nonce_str, again.timestamp, "https://shop.example/sidebar?i=0")
    );

    let json = serde_json::to_value(&again).unwrap();
    let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["agent_id", "corp_id", "nonce_str", "signature", "timestamp"]);
}

async fn join_all<T: Send + 'static>(
    calls: impl Iterator<Item = tokio::task::JoinHandle<Result<T, SendError>>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        out.push(call.await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn an_expired_token_is_replaced_and_the_ticket_kept() {
    let (standin, client) = start().await;
    client.agent_config("https://shop.example/a").await.unwrap();
    standin.expire_tokens();
    client.agent_config("https://shop.example/b").await.unwrap();
    assert_eq!(standin.tickets_issued(), 1);
}

#[tokio::test]
async fn bad_urls_are_refused_before_wecom_is_asked() {
    let (standin, client) = start().await;
    let huge = format!("https://shop.example/{}", "a".repeat(2000));
    for bad in ["", "javascript:alert(1)", "ftp://shop.example/", "https://shop.example/页面", huge.as_str()] {
        let err = client.agent_config(bad).await.unwrap_err();
        assert!(matches!(err, SendError::Rejected { kind: FailureKind::Misconfigured, .. }), "{bad:?}: {err:?}");
        assert_eq!(err.code(), INVALID_URL, "{bad:?}");
        assert!(err.message().starts_with("url: "), "{}", err.message());
    }
    assert_eq!(standin.requests(), 0);
}

#[tokio::test]
async fn without_an_agent_id_nothing_is_signed() {
    let standin = StandIn::start(Provider::Wecom).await;
    let mut config = standin.config();
    config.wecom.as_mut().unwrap().agent_id = None;
    let client = Channels::from_config(&config).unwrap().wecom().unwrap();
    assert_eq!(client.agent_id(), None);
    let err = client.agent_config("https://shop.example/").await.unwrap_err();
    assert_eq!(err.code(), "agent_id");
    assert_eq!(standin.requests(), 0);
}

#[tokio::test]
async fn a_failed_fetch_is_retryable_and_not_cached() {
    let (standin, client) = start().await;
    client.agent_id().expect("the stand-in's AgentId");
    // gettoken takes no faults: the 500 meets ticket/get. Nothing reached a person: retryable.
    standin.fail_next(Fault::ServerError);
    let err = client.agent_config("https://shop.example/").await.unwrap_err();
    assert!(matches!(err, SendError::Retryable { .. }), "{err:?}");
    assert_eq!(standin.tickets_issued(), 0);
    client.agent_config("https://shop.example/").await.unwrap();
    assert_eq!(standin.tickets_issued(), 1);
}
