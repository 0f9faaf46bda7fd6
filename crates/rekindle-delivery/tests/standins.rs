//! Every channel against its provider's stand-in: the real protocol, signatures included,
//! over loopback.

use std::sync::Arc;
use std::time::Duration;

use rekindle_delivery::standin::{Fault, Provider, StandIn};
use rekindle_delivery::wecom::callback::{ContactEvent, WecomCrypto, parse_event};
use rekindle_delivery::{
    Channel, ChannelKind, Channels, ChannelsConfig, FailureKind, MassSendStatus, Outgoing, Secret, SendError,
};

fn outgoing(channel: ChannelKind, to: &str) -> Outgoing {
    Outgoing {
        send_key: format!("sk-{}", rand_suffix()),
        channel,
        to: to.into(),
        sender: None,
        template: None,
        params: Vec::new(),
        text: String::new(),
        link: None,
        context: serde_json::Value::Null,
        attachments: Vec::new(),
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn sms(to: &str) -> Outgoing {
    Outgoing {
        template: Some("SMS_270000001".into()),
        params: vec![("name".into(), "小李".into()), ("code".into(), "8848".into())],
        ..outgoing(ChannelKind::Sms, to)
    }
}

fn wecom(to: &str) -> Outgoing {
    Outgoing {
        sender: Some("zhangsan".into()),
        text: "小李，您常买的草莓今天到货了".into(),
        link: Some("https://shop.example/p/42".into()),
        ..outgoing(ChannelKind::Wecom, to)
    }
}

fn mini(to: &str) -> Outgoing {
    Outgoing {
        template: Some("TPL-restock".into()),
        params: vec![("thing1".into(), "草莓".into()), ("amount2".into(), "¥29.9".into())],
        link: Some("pages/item/index?id=42".into()),
        ..outgoing(ChannelKind::Miniprogram, to)
    }
}

fn hook(to: &str) -> Outgoing {
    Outgoing {
        text: "回来看看".into(),
        link: Some("https://shop.example/back".into()),
        params: vec![("coupon".into(), "C10".into()), ("amount".into(), "10".into())],
        context: serde_json::json!({"journey": "winback"}),
        ..outgoing(ChannelKind::Webhook, to)
    }
}

fn channel(config: &ChannelsConfig, kind: ChannelKind) -> Arc<dyn Channel> {
    Channels::from_config(config).unwrap().get(kind).unwrap()
}

fn class(e: &SendError) -> &'static str {
    match e {
        SendError::Rejected { .. } => "rejected",
        SendError::Retryable { .. } => "retryable",
        SendError::Uncertain { .. } => "uncertain",
    }
}

/// The secret values of a stand-in's configuration.
fn secrets(c: &ChannelsConfig) -> Vec<String> {
    let mut all: Vec<&Secret> = Vec::new();
    if let Some(a) = &c.aliyun_sms {
        all.push(&a.access_key_secret);
    }
    if let Some(t) = &c.tencent_sms {
        all.push(&t.secret_key);
    }
    if let Some(w) = &c.wecom {
        all.extend([&w.secret, &w.callback_token, &w.encoding_aes_key]);
    }
    if let Some(m) = &c.miniprogram {
        all.push(&m.app_secret);
    }
    if let Some(h) = &c.webhook {
        all.push(&h.secret);
    }
    all.into_iter().map(|s| s.expose().to_string()).collect()
}

fn assert_hidden(c: &ChannelsConfig, shown: &str) {
    for secret in secrets(c) {
        assert!(!shown.contains(&secret), "a secret shows in {shown}");
    }
}

/// What each fault must become, for the providers that map all of them to errors.
async fn check_faults(standin: &StandIn, out: &Outgoing, refused: FailureKind) {
    let ch = channel(&standin.config(), out.channel);
    let cases = [
        (Fault::ServerError, "uncertain", FailureKind::ProviderError),
        (Fault::Quota, "rejected", FailureKind::QuotaExhausted),
        (Fault::Throttle, "retryable", FailureKind::Throttled),
        (Fault::Refused, "rejected", refused),
        (Fault::InvalidRecipient, "rejected", FailureKind::InvalidRecipient),
    ];
    for (fault, expected_class, expected_kind) in cases {
        standin.fail_next(fault);
        let err = ch.send(out).await.expect_err("a fault");
        assert_eq!((class(&err), err.kind()), (expected_class, expected_kind), "{fault:?}: {err:?}");
        assert_hidden(&standin.config(), &err.to_string());
    }
    assert!(standin.delivered().is_empty(), "no fault delivers: {:?}", standin.delivered());
    // After the queue, the same message goes through.
    ch.send(out).await.unwrap();
    assert_eq!(standin.delivered().len(), 1);
}

/// A timeout after the provider took the message: uncertain, and delivered once.
async fn check_timeout(standin: &StandIn, out: &Outgoing) {
    let ch = channel(&standin.config(), out.channel);
    standin.fail_next(Fault::Timeout);
    let started = std::time::Instant::now();
    let err = ch.send(out).await.expect_err("timed out");
    assert!(matches!(err, SendError::Uncertain { kind: FailureKind::Timeout, .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(2500), "the client gave up at its timeout");
    assert_eq!(standin.delivered().len(), 1, "delivered although the client saw a timeout");
}

// ---------------------------------------------------------------------------------------------
// Aliyun SMS

#[tokio::test]
async fn aliyun_delivers_once_with_the_signed_fields() {
    let standin = StandIn::start(Provider::AliyunSms).await;
    let out = sms("138 1234 5678");
    let receipt = channel(&standin.config(), ChannelKind::Sms).send(&out).await.unwrap();
    assert!(receipt.provider_message_id.is_some_and(|id| id.ends_with("^0")));
    assert!(!receipt.awaiting_confirmation);
    let delivered = standin.delivered();
    assert_eq!(delivered.len(), 1);
    let d = &delivered[0];
    assert_eq!(d.to, "13812345678");
    assert_eq!(d.send_key.as_deref(), Some(out.send_key.as_str()));
    assert_eq!(d.template.as_deref(), Some("SMS_270000001"));
    assert_eq!(d.params, out.params);
    assert_eq!((standin.requests(), standin.bad_signatures()), (1, 0));
}

#[tokio::test]
async fn aliyun_refuses_a_wrong_secret_or_key_id() {
    let standin = StandIn::start(Provider::AliyunSms).await;
    let mut config = standin.config();
    let aliyun = config.aliyun_sms.as_mut().unwrap();
    aliyun.access_key_secret = Secret::new("not-the-secret");
    let err = channel(&config, ChannelKind::Sms).send(&sms("13812345678")).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("rejected", FailureKind::Unauthorized, "SignatureDoesNotMatch"));
    assert!(!err.to_string().contains("not-the-secret"));

    config.aliyun_sms.as_mut().unwrap().access_key_id = "LTAIunknown".into();
    let err = channel(&config, ChannelKind::Sms).send(&sms("13812345678")).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (FailureKind::Unauthorized, "InvalidAccessKeyId.NotFound"));
    assert_eq!(standin.bad_signatures(), 2);
    assert!(standin.delivered().is_empty());
}

#[tokio::test]
async fn aliyun_faults_map_to_their_classes() {
    let standin = StandIn::start(Provider::AliyunSms).await;
    check_faults(&standin, &sms("13812345678"), FailureKind::UserRefused).await;
}

#[tokio::test]
async fn aliyun_timeout_is_uncertain_and_delivered() {
    let standin = StandIn::start(Provider::AliyunSms).await;
    check_timeout(&standin, &sms("13812345678")).await;
}

#[tokio::test]
async fn aliyun_faults_stick_to_a_recipient() {
    let standin = StandIn::start(Provider::AliyunSms).await;
    standin.fail_for("13900000000", Fault::Refused);
    let ch = channel(&standin.config(), ChannelKind::Sms);
    assert_eq!(ch.send(&sms("+86 139 0000 0000")).await.unwrap_err().code(), "isv.CUSTOMER_REFUSED");
    assert_eq!(ch.send(&sms("13900000000")).await.unwrap_err().kind(), FailureKind::UserRefused);
    ch.send(&sms("13812345678")).await.unwrap();
    // A landline never reaches the provider.
    let err = ch.send(&sms("010-6552-9988")).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (FailureKind::InvalidRecipient, "invalid_phone"));
    assert_eq!(standin.requests(), 3);
}

// ---------------------------------------------------------------------------------------------
// Tencent Cloud SMS

#[tokio::test]
async fn tencent_delivers_once_with_the_signed_fields() {
    let standin = StandIn::start(Provider::TencentSms).await;
    let out = sms("13812345678");
    let receipt = channel(&standin.config(), ChannelKind::Sms).send(&out).await.unwrap();
    assert!(receipt.provider_message_id.is_some_and(|id| id.starts_with("2640:")));
    let delivered = standin.delivered();
    assert_eq!(delivered.len(), 1);
    let d = &delivered[0];
    assert_eq!(d.to, "+8613812345678");
    assert_eq!(d.send_key.as_deref(), Some(out.send_key.as_str()));
    assert_eq!(d.template.as_deref(), Some("SMS_270000001"));
    assert_eq!(d.params, vec![("1".to_string(), "小李".to_string()), ("2".to_string(), "8848".to_string())]);
    assert_eq!(standin.bad_signatures(), 0);
}

#[tokio::test]
async fn tencent_refuses_a_wrong_secret() {
    let standin = StandIn::start(Provider::TencentSms).await;
    let mut config = standin.config();
    config.tencent_sms.as_mut().unwrap().secret_key = Secret::new("not-the-key");
    let err = channel(&config, ChannelKind::Sms).send(&sms("13812345678")).await.unwrap_err();
    assert_eq!(
        (class(&err), err.kind(), err.code()),
        ("rejected", FailureKind::Unauthorized, "AuthFailure.SignatureFailure")
    );
    config.tencent_sms.as_mut().unwrap().secret_id = "AKIDunknown".into();
    let err = channel(&config, ChannelKind::Sms).send(&sms("13812345678")).await.unwrap_err();
    assert_eq!(err.code(), "AuthFailure.SecretIdNotFound");
    assert_eq!(standin.bad_signatures(), 2);
    assert!(standin.delivered().is_empty());
}

#[tokio::test]
async fn tencent_faults_map_to_their_classes() {
    let standin = StandIn::start(Provider::TencentSms).await;
    check_faults(&standin, &sms("13812345678"), FailureKind::UserRefused).await;
    standin.fail_next(Fault::Throttle);
    let err = channel(&standin.config(), ChannelKind::Sms).send(&sms("13812345678")).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
}

#[tokio::test]
async fn tencent_timeout_is_uncertain_and_delivered() {
    let standin = StandIn::start(Provider::TencentSms).await;
    check_timeout(&standin, &sms("13812345678")).await;
}

// ---------------------------------------------------------------------------------------------
// WeCom

async fn wecom_client(standin: &StandIn) -> Arc<rekindle_delivery::WecomClient> {
    Channels::from_config(&standin.config()).unwrap().wecom().unwrap()
}

#[tokio::test]
async fn wecom_creates_a_task_that_waits_for_the_staff_member() {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = wecom_client(&standin).await;
    let out = wecom("wmEXT0001");
    let receipt = client.send(&out).await.unwrap();
    assert!(receipt.awaiting_confirmation);
    let msgid = receipt.provider_message_id.unwrap();
    let delivered = standin.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!((delivered[0].to.as_str(), delivered[0].text.as_str()), ("wmEXT0001", out.text.as_str()));
    assert_eq!(delivered[0].link, out.link);

    let before = client.mass_send_state(&msgid, "zhangsan").await.unwrap();
    assert_eq!(before, vec![("wmEXT0001".to_string(), MassSendStatus::Unsent)]);
    assert!(standin.confirm(&msgid));
    let after = client.mass_send_state(&msgid, "zhangsan").await.unwrap();
    assert_eq!(after, vec![("wmEXT0001".to_string(), MassSendStatus::Sent)]);
    // One token for all three calls.
    assert_eq!(standin.requests(), 4);
}

#[tokio::test]
async fn wecom_reports_customers_lost_before_confirming() {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = wecom_client(&standin).await;
    let quota = client.send(&wecom("wmQUOTA")).await.unwrap().provider_message_id.unwrap();
    standin.fail_next(Fault::Quota);
    let over = client.send(&wecom("wmQUOTA")).await.unwrap().provider_message_id.unwrap();
    let gone = client.send(&wecom("wmGONE")).await.unwrap().provider_message_id.unwrap();
    standin.fail_for("wmGONE", Fault::Refused);
    for msgid in [&quota, &over, &gone] {
        standin.confirm(msgid);
    }
    let state = |msgid: String| {
        let client = client.clone();
        async move { client.mass_send_state(&msgid, "zhangsan").await.unwrap()[0].1 }
    };
    assert_eq!(state(quota).await, MassSendStatus::Sent);
    assert_eq!(state(over).await, MassSendStatus::ReceivedAlready);
    assert_eq!(state(gone).await, MassSendStatus::NotFriend);
}

#[tokio::test]
async fn wecom_faults_map_to_their_classes() {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = wecom_client(&standin).await;
    let out = wecom("wmEXT0002");
    let cases = [
        (Fault::ServerError, "uncertain", FailureKind::ProviderError, "http_500"),
        (Fault::Throttle, "retryable", FailureKind::Throttled, "45033"),
        (Fault::Refused, "rejected", FailureKind::UserRefused, "fail_list"),
        (Fault::InvalidRecipient, "rejected", FailureKind::InvalidRecipient, "40096"),
    ];
    for (fault, expected_class, kind, code) in cases {
        standin.fail_next(fault);
        let err = client.send(&out).await.unwrap_err();
        assert_eq!((class(&err), err.kind(), err.code()), (expected_class, kind, code), "{fault:?}");
    }
    assert!(standin.delivered().is_empty());
}

#[tokio::test]
async fn wecom_timeout_is_uncertain_and_delivered() {
    let standin = StandIn::start(Provider::Wecom).await;
    // Fetch the token first, so the timeout meets the send itself.
    let client = wecom_client(&standin).await;
    let msgid = client.send(&wecom("wmWARM")).await.unwrap().provider_message_id.unwrap();
    client.mass_send_state(&msgid, "zhangsan").await.unwrap();
    standin.fail_next(Fault::Timeout);
    let err = client.send(&wecom("wmEXT0003")).await.unwrap_err();
    assert!(matches!(err, SendError::Uncertain { kind: FailureKind::Timeout, .. }), "{err:?}");
    assert_eq!(standin.delivered().iter().filter(|d| d.to == "wmEXT0003").count(), 1);
}

#[tokio::test]
async fn wecom_refuses_a_wrong_secret_before_sending_anything() {
    let standin = StandIn::start(Provider::Wecom).await;
    let mut config = standin.config();
    config.wecom.as_mut().unwrap().secret = Secret::new("not-the-secret");
    let err = channel(&config, ChannelKind::Wecom).send(&wecom("wmEXT0004")).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("rejected", FailureKind::Unauthorized, "40001"));
    assert!(!err.to_string().contains("not-the-secret"));
    assert_eq!((standin.requests(), standin.bad_signatures()), (1, 1));
}

#[tokio::test]
async fn wecom_replaces_an_expired_token_once() {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = wecom_client(&standin).await;
    client.send(&wecom("wmEXT0005")).await.unwrap();
    standin.expire_tokens();
    client.send(&wecom("wmEXT0006")).await.unwrap();
    // token, send, refused send, token, send.
    assert_eq!(standin.requests(), 5);
    assert_eq!(standin.delivered().len(), 2);
}

#[tokio::test]
async fn wecom_welcome_codes_work_once_within_20_seconds() {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = wecom_client(&standin).await;
    let code = standin.issue_welcome_code("wmNEW0001");
    client.send_welcome(&code, "欢迎！回复 1 领新人券").await.unwrap();
    let delivered = standin.delivered();
    assert_eq!((delivered[0].to.as_str(), delivered[0].text.as_str()), ("wmNEW0001", "欢迎！回复 1 领新人券"));
    let again = client.send_welcome(&code, "again").await.unwrap_err();
    assert_eq!((class(&again), again.code()), ("rejected", "40058"));

    let late = standin.issue_welcome_code("wmNEW0002");
    standin.expire_welcome_codes();
    assert!(client.send_welcome(&late, "too late").await.is_err());
    let forged = client.send_welcome("NOT-ISSUED", "forged").await.unwrap_err();
    assert_eq!(forged.kind(), FailureKind::Misconfigured);
    assert_eq!(standin.delivered().len(), 1);
}

#[tokio::test]
async fn wecom_callbacks_decrypt_into_contact_events() {
    let standin = StandIn::start(Provider::Wecom).await;
    let client = wecom_client(&standin).await;
    let code = standin.issue_welcome_code("wmNEW0003");
    let event = format!(
        "<xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>\
         <UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[wmNEW0003]]></ExternalUserID>\
         <State><![CDATA[live-0501]]></State><WelcomeCode><![CDATA[{code}]]></WelcomeCode></xml>"
    );
    let (query, body) = standin.callback_request(&event);
    let q: std::collections::HashMap<String, String> =
        query.split('&').map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap()).collect();
    let plain = client.crypto().decrypt(&q["msg_signature"], &q["timestamp"], &q["nonce"], &body).unwrap();
    assert_eq!(plain, event);
    let Some(ContactEvent::Added { user_id, external_user_id, welcome_code, state }) = parse_event(&plain) else {
        panic!("not an added contact: {plain}");
    };
    assert_eq!(
        (user_id.as_str(), external_user_id.as_str(), state.as_deref()),
        ("zhangsan", "wmNEW0003", Some("live-0501"))
    );
    client.send_welcome(&welcome_code.unwrap(), "欢迎").await.unwrap();

    // A tampered body fails the signature.
    let tampered = body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[A");
    assert!(client.crypto().decrypt(&q["msg_signature"], &q["timestamp"], &q["nonce"], &tampered).is_err());

    // The URL check: WeCom sends an encrypted echostr and expects it back in plain.
    let wecom = standin.config().wecom.unwrap();
    let crypto =
        WecomCrypto::new(wecom.callback_token.expose(), wecom.encoding_aes_key.expose(), &wecom.corp_id).unwrap();
    let echostr = crypto.seal("4503285736287648");
    let signature = crypto.signature("1700000000", "42", &echostr);
    assert_eq!(client.crypto().verify_url(&signature, "1700000000", "42", &echostr).unwrap(), "4503285736287648");
}

#[tokio::test]
async fn wecom_kf_sync_pages_by_cursor() {
    use rekindle_delivery::wecom::kf::KfOrigin;

    let standin = StandIn::start(Provider::Wecom).await;
    let client = wecom_client(&standin).await;
    for i in 0..5 {
        let origin = if i % 2 == 0 { 3 } else { 5 };
        standin.queue_kf_message(serde_json::json!({
            "msgid": format!("m{i}"), "open_kfid": "wkSHOP", "external_userid": "wmKF0001", "send_time": 1_800_000_000 + i,
            "origin": origin, "servicer_userid": if origin == 5 { "xiaoxian" } else { "" },
            "msgtype": "text", "text": {"content": format!("第{i}条")},
        }));
        standin.queue_kf_message(serde_json::json!({
            "open_kfid": "wkOTHER", "external_userid": "wmKF0002", "origin": 3, "msgtype": "image", "image": {"media_id": "x"},
        }));
    }

    // Two at a time, each page from where the last stopped.
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = client.kf_sync_msg(cursor.as_deref(), Some("TOKEN"), "wkSHOP", 2).await.unwrap();
        pages += 1;
        seen.extend(page.messages.iter().map(|m| (m.msgid.clone(), m.origin, m.shown_text())));
        cursor = Some(page.next_cursor);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pages, 3);
    let ids: Vec<&str> = seen.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, ["m0", "m1", "m2", "m3", "m4"], "only wkSHOP's, in order, once");
    assert_eq!((seen[1].1, seen[1].2.as_str()), (KfOrigin::Servicer, "第1条"));
    let syncs = standin.kf_syncs();
    assert!(syncs.iter().all(|s| s.token.as_deref() == Some("TOKEN") && s.open_kfid.as_deref() == Some("wkSHOP")));
    assert_eq!(syncs[0].cursor, None);

    // Nothing new: an empty page, the cursor kept; a new message comes next.
    let empty = client.kf_sync_msg(cursor.as_deref(), None, "wkSHOP", 1000).await.unwrap();
    assert!(empty.messages.is_empty() && !empty.has_more);
    standin.queue_kf_message(serde_json::json!({"msgid": "m5", "open_kfid": "wkSHOP", "external_userid": "wmKF0001", "origin": 3, "msgtype": "voice"}));
    let next = client.kf_sync_msg(Some(&empty.next_cursor), None, "wkSHOP", 1000).await.unwrap();
    assert_eq!(next.messages.iter().map(|m| m.shown_text()).collect::<Vec<_>>(), ["[语音]"]);

    // Every account's messages without an open_kfid.
    let all = client.kf_sync_msg(None, None, "", 1000).await.unwrap();
    assert_eq!(all.messages.len(), 11);

    // An expired access token is replaced; WeCom's refusals keep their codes.
    standin.expire_tokens();
    assert!(client.kf_sync_msg(None, None, "wkSHOP", 1).await.is_ok());
    standin.fail_next(Fault::InvalidRecipient);
    let err = client.kf_sync_msg(None, None, "wkNOPE", 1000).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("rejected", FailureKind::Misconfigured, "95000"));
    standin.fail_next(Fault::Throttle);
    assert_eq!(class(&client.kf_sync_msg(None, None, "wkSHOP", 1000).await.unwrap_err()), "retryable");
    let err = client.kf_sync_msg(Some("not-a-cursor"), None, "wkSHOP", 1000).await.unwrap_err();
    assert_eq!(err.code(), "40058");
}

// ---------------------------------------------------------------------------------------------
// Mini-program

#[tokio::test]
async fn miniprogram_delivers_once_with_the_template_data() {
    let standin = StandIn::start(Provider::Miniprogram).await;
    let out = mini("oOPENID0001");
    let receipt = channel(&standin.config(), ChannelKind::Miniprogram).send(&out).await.unwrap();
    assert!(receipt.provider_message_id.is_some());
    let delivered = standin.delivered();
    assert_eq!(delivered.len(), 1);
    let d = &delivered[0];
    assert_eq!((d.to.as_str(), d.template.as_deref()), ("oOPENID0001", Some("TPL-restock")));
    assert_eq!(d.params, out.params);
    assert_eq!(d.link, out.link);
}

#[tokio::test]
async fn miniprogram_refuses_a_wrong_app_secret() {
    let standin = StandIn::start(Provider::Miniprogram).await;
    let mut config = standin.config();
    config.miniprogram.as_mut().unwrap().app_secret = Secret::new("not-the-secret");
    let err = channel(&config, ChannelKind::Miniprogram).send(&mini("oOPENID0002")).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("rejected", FailureKind::Unauthorized, "40125"));
    assert_eq!(standin.bad_signatures(), 1);
}

#[tokio::test]
async fn miniprogram_faults_map_to_their_classes() {
    let standin = StandIn::start(Provider::Miniprogram).await;
    check_faults(&standin, &mini("oOPENID0003"), FailureKind::NotSubscribed).await;
}

#[tokio::test]
async fn miniprogram_timeout_is_uncertain_and_delivered() {
    let standin = StandIn::start(Provider::Miniprogram).await;
    let ch = channel(&standin.config(), ChannelKind::Miniprogram);
    ch.send(&mini("oWARM")).await.unwrap();
    standin.fail_next(Fault::Timeout);
    let err = ch.send(&mini("oOPENID0004")).await.unwrap_err();
    assert!(matches!(err, SendError::Uncertain { kind: FailureKind::Timeout, .. }), "{err:?}");
    assert_eq!(standin.delivered().len(), 2);
}

#[tokio::test]
async fn miniprogram_replaces_an_expired_token_once() {
    let standin = StandIn::start(Provider::Miniprogram).await;
    let ch = channel(&standin.config(), ChannelKind::Miniprogram);
    ch.send(&mini("oOPENID0005")).await.unwrap();
    standin.expire_tokens();
    ch.send(&mini("oOPENID0006")).await.unwrap();
    assert_eq!((standin.requests(), standin.delivered().len()), (5, 2));
}

// ---------------------------------------------------------------------------------------------
// Webhook

#[tokio::test]
async fn webhook_delivers_once_signed() {
    let standin = StandIn::start(Provider::Webhook).await;
    let out = hook("person-42");
    let ch = channel(&standin.config(), ChannelKind::Webhook);
    assert!(ch.deduplicates());
    ch.send(&out).await.unwrap();
    let delivered = standin.delivered();
    assert_eq!(delivered.len(), 1);
    let d = &delivered[0];
    assert_eq!((d.to.as_str(), d.text.as_str(), d.link.as_deref()), ("person-42", "回来看看", out.link.as_deref()));
    assert_eq!(d.send_key.as_deref(), Some(out.send_key.as_str()));
    assert_eq!(d.params, out.params);
    // The same send_key again: answered, not delivered twice.
    ch.send(&out).await.unwrap();
    assert_eq!(standin.delivered().len(), 1);
}

#[tokio::test]
async fn webhook_refuses_a_wrong_secret() {
    let standin = StandIn::start(Provider::Webhook).await;
    let mut config = standin.config();
    config.webhook.as_mut().unwrap().secret = Secret::new("not-the-secret");
    let err = channel(&config, ChannelKind::Webhook).send(&hook("person-43")).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("rejected", FailureKind::Unauthorized, "http_401"));
    assert_eq!(standin.bad_signatures(), 1);
}

#[tokio::test]
async fn webhook_faults_map_to_their_classes() {
    let standin = StandIn::start(Provider::Webhook).await;
    let ch = channel(&standin.config(), ChannelKind::Webhook);
    let out = hook("person-44");
    let cases = [
        (Fault::ServerError, "uncertain", FailureKind::ProviderError, None),
        (Fault::Quota, "retryable", FailureKind::Throttled, Some(3600)),
        (Fault::Throttle, "retryable", FailureKind::Throttled, Some(2)),
        (Fault::Refused, "rejected", FailureKind::UserRefused, None),
        (Fault::InvalidRecipient, "rejected", FailureKind::InvalidRecipient, None),
    ];
    for (fault, expected_class, kind, retry_after) in cases {
        standin.fail_next(fault);
        let err = ch.send(&out).await.unwrap_err();
        assert_eq!((class(&err), err.kind()), (expected_class, kind), "{fault:?}");
        assert_eq!(err.retry_after(), retry_after.map(Duration::from_secs), "{fault:?}");
    }
    assert!(standin.delivered().is_empty());
}

#[tokio::test]
async fn webhook_timeout_is_uncertain_and_the_retry_is_deduplicated() {
    let standin = StandIn::start(Provider::Webhook).await;
    let out = hook("person-45");
    check_timeout(&standin, &out).await;
    // The channel de-duplicates, so an uncertain send may be retried.
    channel(&standin.config(), ChannelKind::Webhook).send(&out).await.unwrap();
    assert_eq!(standin.delivered().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Across providers

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    for provider in
        [Provider::AliyunSms, Provider::TencentSms, Provider::Wecom, Provider::Miniprogram, Provider::Webhook]
    {
        let standin = StandIn::start(provider).await;
        let config = standin.config();
        assert!(!secrets(&config).is_empty());
        assert_hidden(&config, &format!("{config:?}"));
        let channels = Channels::from_config(&config).unwrap();
        assert_hidden(&config, &format!("{channels:?}"));
        if let Some(client) = channels.wecom() {
            client.send(&wecom("wmDEBUG")).await.unwrap();
            assert_hidden(&config, &format!("{client:?}"));
            assert!(!format!("{client:?}").contains("standin-token"), "the access token shows");
        }
    }
}

#[tokio::test]
async fn latency_below_the_timeout_is_fine() {
    let standin = StandIn::start(Provider::AliyunSms).await;
    standin.set_delay(Duration::from_millis(300));
    let started = std::time::Instant::now();
    channel(&standin.config(), ChannelKind::Sms).send(&sms("13812345678")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_stopped_provider_is_a_retryable_network_failure() {
    let standin = StandIn::start(Provider::Webhook).await;
    let config = standin.config();
    drop(standin);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = channel(&config, ChannelKind::Webhook).send(&hook("person-46")).await.unwrap_err();
    assert_eq!((class(&err), err.kind()), ("retryable", FailureKind::Network), "{err:?}");
}
