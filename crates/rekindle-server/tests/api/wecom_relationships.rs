//! The WeCom relationship layer against the WeCom stand-in's contact book
//! (docs/relationships.md): a channel code made in WeCom brings a customer with its source and
//! tags and turns to its next staff member; friendships ended by the customer and by the staff
//! member, and changes WeCom sent no callback for found by a reconcile; customers handed from
//! one staff member to another, end to end, with journeys following the new owner; the chat
//! sidebar.

use std::time::Duration;

use rekindle_delivery::standin::{CallbackRequest, Provider, StandIn};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_clocked};

async fn app_with_wecom() -> (TestApp, StandIn) {
    let wecom = StandIn::start(Provider::Wecom).await;
    let channels = wecom.config();
    // 14:00 in Shanghai, outside WeCom's quiet hours; transfers looked at every second, no
    // reconcile but the ones a test asks for.
    let (app, _clock) = spawn_app_clocked("2026-05-01T06:00:00Z", |c| {
        c.channels = channels;
        c.journeys.tick_ms = 100;
        c.journeys.wecom_reconcile_minutes = 0;
        c.journeys.wecom_transfer_poll_seconds = 1;
    })
    .await;
    (app, wecom)
}

async fn post_callback(app: &TestApp, cb: CallbackRequest) {
    let r = app.client.post(format!("{}/callbacks/wecom?{}", app.base, cb.query)).body(cb.body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", cb.plain);
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn contacts(app: &TestApp, external: &str) -> Value {
    app.api_json(&format!("/api/v1/people/wecom_external_userid:{external}/contacts")).await
}

fn friends(view: &Value) -> Vec<String> {
    let rows = view["friendships"].as_array().cloned().unwrap_or_default();
    rows.iter().filter(|f| f["friend"] == true).map(|f| f["staff_id"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_code_brings_a_customer_with_its_source_and_tags_and_turns() {
    let (app, wecom) = app_with_wecom().await;
    wecom.add_staff("guide-1");
    wecom.add_staff("guide-2");
    let code = json!({"name": "包裹卡 A", "source": "parcel", "staff": ["guide-1", "guide-2"], "tags": ["包裹卡"]});
    let r = app.send(Method::POST, "/api/v1/contacts/codes", &code).await;
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    assert_eq!((made["state"].as_str(), made["error"].as_str()), (Some("parcel-r1"), None), "{made}");
    assert!(made["qr_code"].as_str().is_some_and(|u| u.starts_with("http")), "{made}");
    let ways = wecom.contact_ways();
    assert_eq!(
        (ways.len(), ways[0].users.as_slice(), ways[0].state.as_str()),
        (1, &["guide-1".to_string()][..], "parcel-r1")
    );

    post_callback(&app, wecom.customer_adds("guide-1", "wm-9", Some("parcel-r1"))).await;
    until("the code to show the next staff member", || async { wecom.contact_ways()[0].users == ["guide-2"] }).await;
    let view = contacts(&app, "wm-9").await;
    assert_eq!(
        (view["friendships"][0]["source"].as_str(), view["friendships"][0]["code"].as_str()),
        (Some("parcel"), Some("parcel-r1")),
        "{view}"
    );
    let tags = || async {
        let profile = app.api_json("/api/v1/people/wecom_external_userid:wm-9/profile").await;
        profile["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    until("the code's tag on the customer", || async { tags().await == ["包裹卡"] }).await;
    let codes = app.api_json("/api/v1/contacts/codes").await;
    assert_eq!((codes["wecom"].as_bool(), codes["codes"][0]["people"].as_u64()), (Some(true), Some(1)), "{codes}");

    // A bad staff id is refused naming it, before WeCom is asked.
    let bad = json!({"name": "门店", "source": "store", "staff": ["guide-1", "<x>"]});
    let r = app.send(Method::POST, "/api/v1/contacts/codes", &bad).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "staff[1]");
    assert_eq!(wecom.contact_ways().len(), 1);
    // Retired: gone from WeCom, kept here with its figures.
    let r = app.send(Method::DELETE, "/api/v1/contacts/codes/1", &json!({})).await;
    assert_eq!(r.status(), 200);
    assert!(wecom.contact_ways().is_empty() || wecom.contact_ways().iter().all(|w| w.state != "parcel-r1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friendships_ended_either_way_and_those_without_callbacks_are_reconciled() {
    let (app, wecom) = app_with_wecom().await;
    post_callback(&app, wecom.customer_adds("guide-1", "wm-1", None)).await;
    post_callback(&app, wecom.customer_adds("leader-1", "wm-1", Some("live-3"))).await;
    post_callback(&app, wecom.customer_adds("guide-1", "wm-2", None)).await;
    post_callback(&app, wecom.customer_removes("leader-1", "wm-1")).await;
    post_callback(&app, wecom.staff_removes("guide-1", "wm-2")).await;
    let one = contacts(&app, "wm-1").await;
    assert_eq!(friends(&one), ["guide-1"], "{one}");
    assert_eq!(one["friendships"][1]["removed_by"], "customer", "{one}");
    let two = contacts(&app, "wm-2").await;
    assert_eq!(
        (two["reachable"].as_bool(), two["friendships"][0]["removed_by"].as_str()),
        (Some(false), Some("staff"))
    );

    // Changes made through WeCom's API send no callback.
    wecom.silently_add("guide-2", "wm-3", chrono::Utc::now());
    assert!(wecom.silently_remove("guide-1", "wm-1"));
    let r = app.send(Method::POST, "/api/v1/contacts/reconcile", &json!({})).await;
    assert_eq!(r.status(), 200);
    let found: Value = r.json().await.unwrap();
    assert_eq!((found["added"].as_u64(), found["removed"].as_u64()), (Some(1), Some(1)), "{found}");
    let one = contacts(&app, "wm-1").await;
    assert_eq!((one["reachable"].as_bool(), friends(&one).len()), (Some(false), 0), "{one}");
    assert_eq!(friends(&contacts(&app, "wm-3").await), ["guide-2"]);
    // Once the log agrees, a reconcile writes nothing.
    let again: Value = app.send(Method::POST, "/api/v1/contacts/reconcile", &json!({})).await.json().await.unwrap();
    assert_eq!((again["added"].as_u64(), again["removed"].as_u64()), (Some(0), Some(0)), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_handed_to_another_staff_member_and_journeys_follow() {
    let (app, wecom) = app_with_wecom().await;
    wecom.add_staff("guide-2");
    post_callback(&app, wecom.customer_adds("guide-1", "wm-1", Some("store-1"))).await;
    post_callback(&app, wecom.customer_adds("guide-1", "wm-2", None)).await;

    let ask = json!({"kind": "on_job", "handover": "guide-1", "takeover": "guide-2"});
    let r = app.send(Method::POST, "/api/v1/contacts/transfers", &ask).await;
    assert_eq!(r.status(), 202);
    let asked: Value = r.json().await.unwrap();
    assert_eq!((asked["requested"].as_u64(), asked["skipped"].as_u64()), (Some(2), Some(0)), "{asked}");
    // The same customers again while on their way: left out.
    let again: Value = app.send(Method::POST, "/api/v1/contacts/transfers", &ask).await.json().await.unwrap();
    assert_eq!(again["requested"], 0, "{again}");
    until("WeCom to have both transfers", || async { wecom.transfers().iter().filter(|t| t.status == 2).count() == 2 })
        .await;
    until("both waiting", || async { app.api_json("/api/v1/contacts/transfers").await["waiting"] == 2 }).await;

    assert!(wecom.finish_transfers(true).is_empty());
    until("both taken over", || async { app.api_json("/api/v1/contacts/transfers").await["done"] == 2 }).await;
    let one = contacts(&app, "wm-1").await;
    assert_eq!((friends(&one), one["owner"].as_str()), (vec!["guide-2".to_string()], Some("guide-2")), "{one}");
    let old = one["friendships"].as_array().unwrap().iter().find(|f| f["staff_id"] == "guide-1").unwrap();
    assert_eq!(old["removed_by"], "transfer", "{one}");

    // A journey now sends through the staff member who took the customer over.
    let template = json!({"name": "问候", "channel": "wecom", "text": "您好，我是新的专属导购～"});
    assert_eq!(app.send(Method::PUT, "/api/v1/message-templates/问候", &template).await.status(), 200);
    let definition = json!({"trigger": {"type": "event", "event": "Ping"},
        "steps": [{"id": "send", "type": "send", "channel": "wecom", "template": "问候"}]});
    let journey: Value = app
        .send(Method::POST, "/api/v1/journeys", &json!({"name": "交接问候", "definition": definition}))
        .await
        .json()
        .await
        .unwrap();
    let r = app.send(Method::POST, &format!("/api/v1/journeys/{}/publish", journey["id"]), &json!({})).await;
    assert_eq!(r.status(), 200);
    let ping = json!({"anonymousId": "wecom:wm-1", "event": "Ping", "messageId": "ping-1"});
    assert_eq!(app.post("/v1/track", &ping).await.status(), 200);
    until("the send", || async { !wecom.mass_tasks().is_empty() }).await;
    assert_eq!(wecom.mass_tasks()[0].sender.as_deref(), Some("guide-2"));

    // The sidebar for the new owner's chat.
    let side = app.api_json("/api/v1/sidebar?customer=wm-1").await;
    assert_eq!((side["owner"].as_str(), side["reachable"].as_bool()), (Some("guide-2"), Some(true)), "{side}");
    assert!(!side["scripts"].as_array().unwrap().is_empty(), "{side}");
    let r = app.send(Method::GET, "/api/v1/sidebar", &json!({})).await;
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()["field"].as_str().map(str::to_owned)),
        (400, Some("customer".into()))
    );
    assert_eq!(app.send(Method::GET, "/api/v1/sidebar?customer=wm-nobody", &json!({})).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_pushed_to_wecom_and_staff_tags_pulled_back() {
    let (app, wecom) = app_with_wecom().await;
    wecom.add_staff("guide-1");
    post_callback(&app, wecom.customer_adds("guide-1", "wm-1", None)).await;
    // Staff's own tag group, made in WeCom's admin console.
    let client =
        rekindle_delivery::WecomClient::new(wecom.config().wecom.as_ref().unwrap(), Duration::from_secs(5)).unwrap();
    let staff_group = client.add_corp_tags("客户画像", &["爱吃榴莲".to_string()]).await.unwrap();
    let durian = staff_group.tags[0].id.clone();

    assert_eq!(app.send(Method::POST, "/api/v1/tags", &json!({"name": "VIP"})).await.status(), 201);
    let tag = app.send(Method::POST, "/api/v1/people/wecom_external_userid:wm-1/tags", &json!({"tag": "VIP"})).await;
    assert_eq!(tag.status(), 204);
    let bad =
        app.send(Method::PUT, "/api/v1/contacts/tag-sync", &json!({"enabled": true, "tags": ["没有这个标签"]})).await;
    assert_eq!(
        (bad.status().as_u16(), bad.json::<Value>().await.unwrap()["field"].as_str().map(str::to_owned)),
        (400, Some("tags[0]".into()))
    );
    let settings = json!({"enabled": true, "group_name": "回流", "tags": ["VIP"], "pull": true});
    assert_eq!(app.send(Method::PUT, "/api/v1/contacts/tag-sync", &settings).await.status(), 200);
    let run = || async {
        app.send(Method::POST, "/api/v1/contacts/tag-sync/run", &json!({})).await.json::<Value>().await.unwrap()
    };
    let counts =
        |v: &Value| (v["created"].as_u64(), v["marked"].as_u64(), v["pulled"].as_u64(), v["unpulled"].as_u64());

    let first = run().await;
    assert_eq!(counts(&first), (Some(1), Some(1), Some(0), Some(0)), "{first}");
    let vip = wecom.tags_of("guide-1", "wm-1");
    assert_eq!(vip.len(), 1, "VIP is on the friendship in WeCom");

    // The staff member sets the customer's tags in WeCom: their own tag on, Rekindle's off.
    post_callback(&app, wecom.staff_tags("guide-1", "wm-1", &[durian.as_str()])).await;
    let second = run().await;
    assert_eq!(counts(&second), (Some(0), Some(1), Some(1), Some(0)), "Rekindle's group is Rekindle's: {second}");
    let mut both = wecom.tags_of("guide-1", "wm-1");
    both.sort();
    let mut expected = vec![vip[0].clone(), durian.clone()];
    expected.sort();
    assert_eq!(both, expected);
    let tags = || async {
        let p = app.api_json("/api/v1/people/wecom_external_userid:wm-1/profile").await;
        let mut t: Vec<String> =
            p["tags"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str().map(str::to_owned)).collect();
        t.sort();
        t
    };
    assert_eq!(tags().await, ["VIP", "企微:爱吃榴莲"]);

    // Untagged in Rekindle: off in WeCom. The staff member drops their tag: off in Rekindle.
    let r = app.send(Method::DELETE, "/api/v1/people/wecom_external_userid:wm-1/tags/VIP", &json!({})).await;
    assert_eq!(r.status(), 204);
    let third = run().await;
    assert_eq!(counts(&third), (Some(0), Some(1), Some(0), Some(0)), "{third}");
    assert_eq!(wecom.tags_of("guide-1", "wm-1"), [durian]);
    post_callback(&app, wecom.staff_tags("guide-1", "wm-1", &[])).await;
    let fourth = run().await;
    assert_eq!(counts(&fourth), (Some(0), Some(0), Some(0), Some(1)), "{fourth}");
    assert!(tags().await.is_empty());
}
