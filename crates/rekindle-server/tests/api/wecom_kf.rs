//! 微信客服 over HTTP: a `kf_msg_or_event` callback pulls the waiting messages from the WeCom
//! stand-in, and the service desk shows the conversation, each message once.

use std::time::Duration;

use rekindle_delivery::standin::{Fault, Provider, StandIn};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

const SHOP: &str = "wkSHOP0001";
/// 2026-05-01T02:13:20Z.
const T0: i64 = 1_777_601_600;

async fn app_with_wecom() -> (TestApp, StandIn) {
    let wecom = StandIn::start(Provider::Wecom).await;
    let channels = wecom.config();
    let app = spawn_app_with(|c| c.channels = channels).await;
    (app, wecom)
}

/// The decrypted callback WeCom sends when an account has messages waiting.
fn kf_event(open_kfid: &str, token: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[corp]]></ToUserName><CreateTime>{T0}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>\
         <Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>"
    )
}

/// Post a signed, encrypted callback as WeCom would.
async fn post_callback(app: &TestApp, (query, body): &(String, String)) {
    let r = app.client.post(format!("{}/callbacks/wecom?{query}", app.base)).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "success");
}

/// The conversation's lines once it has `n` of them.
async fn lines(app: &TestApp, who: &str, n: usize) -> Vec<Value> {
    let path = format!("/api/v1/service/conversations/{who}");
    for _ in 0..200 {
        let r = app.api(&path).await;
        if r.status() == 200 {
            let thread: Value = r.json().await.unwrap();
            let lines = thread["lines"].as_array().cloned().unwrap_or_default();
            if lines.len() >= n {
                return lines;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {n} lines in {path}");
}

async fn kf_events(app: &TestApp) -> Vec<Value> {
    app.events()
        .await
        .into_iter()
        .filter(|e| matches!(e.name.as_deref(), Some("Message Received" | "Message Replied")))
        .map(|e| e.payload)
        .collect()
}

fn line(l: &Value) -> (bool, &str, Option<&str>, &str) {
    (l["inbound"].as_bool().unwrap(), l["text"].as_str().unwrap(), l["staff"].as_str(), l["channel"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_kf_messages_become_the_conversation_once() {
    let (app, wecom) = app_with_wecom().await;
    // A known customer: the 微信客服 messages join their profile.
    let identify = json!({"userId": "u-kf", "messageId": "id-kf", "traits": {"nickname": "李姐", "wecom_external_userid": "wm-kf-1"}});
    assert_eq!(app.post("/v1/identify", &identify).await.status(), 200);

    let customer = |msgid: &str, at: i64, text: &str| {
        json!({"msgid": msgid, "open_kfid": SHOP, "external_userid": "wm-kf-1", "send_time": at, "origin": 3,
               "msgtype": "text", "text": {"content": text}})
    };
    wecom.queue_kf_message(customer("kf-1", T0, "酸奶什么时候到货？"));
    wecom.queue_kf_message(
        json!({"msgid": "kf-2", "open_kfid": SHOP, "send_time": T0 + 1, "origin": 4, "msgtype": "event",
        "event": {"event_type": "enter_session", "open_kfid": SHOP, "external_userid": "wm-kf-1"}}),
    );
    wecom.queue_kf_message(
        json!({"msgid": "kf-3", "open_kfid": SHOP, "external_userid": "wm-kf-1", "send_time": T0 + 60,
        "origin": 5, "servicer_userid": "xiaoxian", "msgtype": "text", "text": {"content": "明天上午到，给您留一份"}}),
    );
    wecom.queue_kf_message(
        json!({"msgid": "kf-4", "open_kfid": SHOP, "external_userid": "wm-kf-1", "send_time": T0 + 120,
        "origin": 3, "msgtype": "image", "image": {"media_id": "MEDIA_ID"}}),
    );
    // Another account's message waits for that account's own callback.
    wecom.queue_kf_message(
        json!({"msgid": "kf-5", "open_kfid": "wkOTHER", "external_userid": "wm-kf-2", "send_time": T0,
        "origin": 3, "msgtype": "text", "text": {"content": "在吗"}}),
    );

    let first = wecom.callback_request(&kf_event(SHOP, "TOKEN-1"));
    post_callback(&app, &first).await;
    let got = lines(&app, "wecom_external_userid:wm-kf-1", 3).await;
    let shown: Vec<_> = got.iter().map(line).collect();
    assert_eq!(
        shown,
        [
            (true, "酸奶什么时候到货？", None, "wecom_kf"),
            (false, "明天上午到，给您留一份", Some("xiaoxian"), "wecom_kf"),
            (true, "[图片]", None, "wecom_kf"),
        ],
        "the system event is not a line"
    );
    assert_eq!(got[0]["at"], "2026-05-01T02:13:20Z", "the message's own time");
    let by_user_id = app.api_json("/api/v1/service/conversations/u-kf").await;
    assert_eq!(by_user_id["lines"].as_array().unwrap().len(), 3, "the same person: {by_user_id}");
    assert_eq!(by_user_id["name"], "李姐");
    let stored = kf_events(&app).await;
    assert_eq!(stored.len(), 3);
    let reply = stored.iter().find(|e| e["messageId"] == "wecom-kf:kf-3").expect("the reply by its msgid");
    assert_eq!(reply["event"], "Message Replied");
    assert_eq!(reply["properties"]["staff_id"], "xiaoxian");
    assert_eq!(reply["context"]["traits"]["wecom_external_userid"], "wm-kf-1");

    // WeCom retries the callback: the pull starts where the last stopped and adds nothing.
    post_callback(&app, &first).await;
    let syncs = wecom.kf_syncs();
    assert_eq!(syncs.len(), 2);
    assert_eq!((syncs[0].cursor.as_deref(), syncs[0].token.as_deref(), syncs[0].returned), (None, Some("TOKEN-1"), 4));
    assert!(syncs[1].cursor.is_some() && syncs[1].returned == 0, "{syncs:?}");
    assert_eq!(kf_events(&app).await.len(), 3);

    // A new message, a new callback: only it is added.
    wecom.queue_kf_message(customer("kf-6", T0 + 600, "好的谢谢"));
    post_callback(&app, &wecom.callback_request(&kf_event(SHOP, "TOKEN-2"))).await;
    let got = lines(&app, "wecom_external_userid:wm-kf-1", 4).await;
    assert_eq!(got.len(), 4);
    assert_eq!(got[3]["text"], "好的谢谢");
    assert_eq!(wecom.kf_syncs().last().unwrap().token.as_deref(), Some("TOKEN-2"));

    // The other account keeps its own cursor.
    post_callback(&app, &wecom.callback_request(&kf_event("wkOTHER", "TOKEN-3"))).await;
    let other = lines(&app, "wecom_external_userid:wm-kf-2", 1).await;
    assert_eq!(other[0]["text"], "在吗");
    let last = wecom.kf_syncs().last().cloned().unwrap();
    assert_eq!((last.open_kfid.as_deref(), last.cursor, last.returned), (Some("wkOTHER"), None, 1));

    let stored = kf_events(&app).await;
    let mut ids: Vec<&str> = stored.iter().map(|e| e["messageId"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["wecom-kf:kf-1", "wecom-kf:kf-3", "wecom-kf:kf-4", "wecom-kf:kf-5", "wecom-kf:kf-6"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_kf_pull_is_taken_up_by_the_next_callback() {
    let (app, wecom) = app_with_wecom().await;
    wecom.queue_kf_message(json!({"msgid": "kf-1", "open_kfid": SHOP, "external_userid": "wm-kf-9", "send_time": T0,
        "origin": 3, "msgtype": "text", "text": {"content": "退款到账了吗"}}));
    wecom.fail_next(Fault::ServerError);
    // WeCom is answered either way; the failure is logged.
    post_callback(&app, &wecom.callback_request(&kf_event(SHOP, "TOKEN-1"))).await;
    assert!(kf_events(&app).await.is_empty());
    post_callback(&app, &wecom.callback_request(&kf_event(SHOP, "TOKEN-2"))).await;
    let got = lines(&app, "wecom_external_userid:wm-kf-9", 1).await;
    assert_eq!(got[0]["text"], "退款到账了吗");
    let syncs = wecom.kf_syncs();
    assert_eq!(syncs.len(), 1, "the failed pull recorded nothing");
    assert_eq!(syncs[0].cursor, None, "and did not move the cursor");
    assert_eq!(kf_events(&app).await.len(), 1);
}
