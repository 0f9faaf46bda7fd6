//! WeCom attachments against the stand-in: media uploaded once and reused, re-uploaded when
//! stale or forgotten, limits refused before any call, errors mapped, and customer-group sends.

use std::sync::Arc;
use std::time::Duration;

use rekindle_delivery::clock::ManualClock;
use rekindle_delivery::standin::{Fault, Provider, StandIn};
use rekindle_delivery::wecom::{Asset, Attachment, GroupPost, Link, MEDIA_REUSE, MiniprogramCard};
use rekindle_delivery::{Channel, ChannelKind, FailureKind, MassSendStatus, Outgoing, SendError, WecomClient};
use serde_json::json;

const COVER: &[u8] = b"\x89PNG\r\n\x1a\n cover of product 42";
const CARD_PIC: &[u8] = b"\x89PNG\r\n\x1a\n card picture";
const CLIP: &[u8] = b"\x00\x00\x00\x18ftypmp42 a short clip";

/// A client on its own manual clock.
fn client(standin: &StandIn) -> (Arc<WecomClient>, Arc<ManualClock>) {
    let config = standin.config();
    let clock = Arc::new(ManualClock::new());
    let client = WecomClient::new(config.wecom.as_ref().unwrap(), Duration::from_millis(config.timeout_ms))
        .unwrap()
        .with_clock(clock.clone());
    (Arc::new(client), clock)
}

fn card() -> MiniprogramCard {
    MiniprogramCard {
        title: "草莓到货，点开下单".into(),
        appid: "wx8bd80126147dfAAA".into(),
        page: "pages/item/index.html?id=42".into(),
        pic: Asset::bytes("card/42", "card.png", CARD_PIC).with_content_type("image/png"),
    }
}

fn rich(to: &str) -> Outgoing {
    Outgoing {
        send_key: format!("sk-{to}"),
        channel: ChannelKind::Wecom,
        to: to.into(),
        sender: Some("zhangsan".into()),
        template: None,
        params: Vec::new(),
        text: "小李，您常买的草莓今天到货了".into(),
        link: None,
        context: serde_json::Value::Null,
        attachments: vec![
            Attachment::Image(Asset::bytes("product/42/cover", "cover.png", COVER).with_content_type("image/png")),
            Attachment::Miniprogram(card()),
            Attachment::Video(Asset::bytes("product/42/clip", "clip.mp4", CLIP)),
        ],
    }
}

fn class(e: &SendError) -> &'static str {
    match e {
        SendError::Rejected { .. } => "rejected",
        SendError::Retryable { .. } => "retryable",
        SendError::Uncertain { .. } => "uncertain",
    }
}

fn upload_counts(standin: &StandIn) -> [usize; 3] {
    [standin.upload_count(COVER), standin.upload_count(CARD_PIC), standin.upload_count(CLIP)]
}

#[tokio::test]
async fn each_asset_uploads_once_across_sends() {
    let standin = StandIn::start(Provider::Wecom).await;
    let (client, _) = client(&standin);
    for to in ["wmA", "wmB", "wmC"] {
        let receipt = client.send(&rich(to)).await.unwrap();
        assert!(receipt.awaiting_confirmation && receipt.provider_message_id.is_some());
    }
    assert_eq!(upload_counts(&standin), [1, 1, 1]);
    // token, three uploads, three tasks.
    assert_eq!(standin.requests(), 7);

    let uploads = standin.uploads();
    let id = |bytes: &[u8]| {
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        uploads.iter().find(|u| u.sha256 == sha).unwrap().clone()
    };
    let (cover, pic, clip) = (id(COVER), id(CARD_PIC), id(CLIP));
    assert_eq!((cover.media_type.as_str(), cover.file_name.as_str()), ("image", "cover.png"));
    assert_eq!((cover.content_type.as_deref(), cover.len), (Some("image/png"), COVER.len()));
    assert_eq!((pic.media_type.as_str(), clip.media_type.as_str()), ("image", "video"));

    let tasks = standin.mass_tasks();
    assert_eq!(tasks.len(), 3);
    for (task, to) in tasks.iter().zip(["wmA", "wmB", "wmC"]) {
        assert_eq!((task.chat_type.as_str(), task.sender.as_deref()), ("single", Some("zhangsan")));
        assert_eq!(task.external_userids, [to]);
        assert_eq!(task.text, "小李，您常买的草莓今天到货了");
        assert_eq!(
            task.attachments,
            [
                json!({"msgtype": "image", "image": {"media_id": cover.media_id}}),
                json!({"msgtype": "miniprogram", "miniprogram": {"title": "草莓到货，点开下单",
                    "pic_media_id": pic.media_id, "appid": "wx8bd80126147dfAAA", "page": "pages/item/index.html?id=42"}}),
                json!({"msgtype": "video", "video": {"media_id": clip.media_id}}),
            ]
        );
    }
}

#[tokio::test]
async fn the_link_field_follows_the_attachments_as_a_card() {
    let standin = StandIn::start(Provider::Wecom).await;
    let (client, _) = client(&standin);
    let out = Outgoing {
        link: Some("https://shop.example/p/42".into()),
        attachments: vec![Attachment::Link(Link {
            title: "会员日".into(),
            url: "https://shop.example/vip".into(),
            desc: Some("全场9折".into()),
            picurl: Some("https://cdn.example/vip.png".into()),
        })],
        ..rich("wmLINK")
    };
    client.send(&out).await.unwrap();
    let task = &standin.mass_tasks()[0];
    assert_eq!(task.attachments[0]["link"]["desc"], "全场9折");
    assert_eq!(
        task.attachments[1]["link"],
        json!({"title": "小李，您常买的草莓今天到货了", "url": "https://shop.example/p/42"})
    );
    assert_eq!(standin.delivered()[0].link.as_deref(), Some("https://shop.example/vip"));
    assert!(standin.uploads().is_empty());
}

#[tokio::test]
async fn media_is_uploaded_again_once_its_three_days_near_their_end() {
    let standin = StandIn::start(Provider::Wecom).await;
    let (client, clock) = client(&standin);
    client.send(&rich("wmA")).await.unwrap();
    clock.advance(MEDIA_REUSE - Duration::from_secs(1));
    client.send(&rich("wmB")).await.unwrap();
    assert_eq!(upload_counts(&standin), [1, 1, 1]);
    clock.advance(Duration::from_secs(2));
    client.send(&rich("wmC")).await.unwrap();
    assert_eq!(upload_counts(&standin), [2, 2, 2]);
    let tasks = standin.mass_tasks();
    assert_eq!(tasks[0].attachments, tasks[1].attachments);
    assert_ne!(tasks[1].attachments[0], tasks[2].attachments[0], "the new media id is used");
}

#[tokio::test]
async fn a_media_id_wecom_no_longer_knows_is_uploaded_again() {
    let standin = StandIn::start(Provider::Wecom).await;
    let (client, _) = client(&standin);
    client.send(&rich("wmA")).await.unwrap();
    standin.expire_media();
    client.send(&rich("wmB")).await.unwrap();
    assert_eq!(upload_counts(&standin), [2, 2, 2]);
    // token, 3 uploads, task; task refused (40007), 3 uploads, task.
    assert_eq!(standin.requests(), 10);
    assert_eq!(standin.mass_tasks().len(), 2);
}

#[tokio::test]
async fn limits_are_refused_before_any_call() {
    let standin = StandIn::start(Provider::Wecom).await;
    let (client, _) = client(&standin);
    let image = |i: usize| Attachment::Image(Asset::bytes(format!("p{i}"), "p.png", COVER));

    let crowded = Outgoing { attachments: (0..10).map(image).collect(), ..rich("wmA") };
    let err = client.send(&crowded).await.unwrap_err();
    assert_eq!(
        (class(&err), err.kind(), err.code()),
        ("rejected", FailureKind::ContentRejected, "too_many_attachments")
    );
    assert!(err.message().contains("at most 9 attachments"), "{err}");

    // The link field counts as an attachment too.
    let nine_and_link =
        Outgoing { attachments: (0..9).map(image).collect(), link: Some("https://x.example".into()), ..rich("wmA") };
    assert_eq!(client.send(&nine_and_link).await.unwrap_err().code(), "too_many_attachments");

    let huge = vec![0u8; 10 * 1024 * 1024 + 1];
    let oversize =
        Outgoing { attachments: vec![Attachment::Image(Asset::bytes("banner", "b.png", huge))], ..rich("wmA") };
    let err = client.send(&oversize).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (FailureKind::ContentRejected, "asset_too_large"));
    assert!(err.message().contains("image 'banner' (b.png)"), "{err}");

    let long = Outgoing { text: "长".repeat(1334), ..rich("wmA") };
    assert_eq!(client.send(&long).await.unwrap_err().code(), "text_too_long");

    let no_html = Outgoing {
        attachments: vec![Attachment::Miniprogram(MiniprogramCard { page: "pages/item/index".into(), ..card() })],
        ..rich("wmA")
    };
    assert_eq!(client.send(&no_html).await.unwrap_err().kind(), FailureKind::Misconfigured);

    let ownerless =
        GroupPost { sender: String::new(), chat_ids: vec!["wrA".into()], text: "hi".into(), attachments: vec![] };
    assert_eq!(client.send_to_groups(&ownerless).await.unwrap_err().code(), "no_sender");

    assert_eq!(standin.requests(), 0, "not even a token was fetched");
}

#[tokio::test]
async fn upload_failures_map_to_their_classes() {
    let standin = StandIn::start(Provider::Wecom).await;
    let (client, _) = client(&standin);

    // WeCom takes JPG and PNG images only.
    let gif =
        Outgoing { attachments: vec![Attachment::Image(Asset::bytes("promo", "promo.gif", COVER))], ..rich("wmA") };
    let err = client.send(&gif).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("rejected", FailureKind::ContentRejected, "40004"));
    assert!(err.message().starts_with("uploading image 'promo' (promo.gif): invalid media type"), "{err}");

    // Nothing reached the customer when an upload fails: a 500 is retryable, not uncertain.
    standin.fail_next(Fault::ServerError);
    let err = client.send(&rich("wmA")).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("retryable", FailureKind::ProviderError, "http_500"));
    standin.fail_next(Fault::Throttle);
    let err = client.send(&rich("wmA")).await.unwrap_err();
    assert_eq!((class(&err), err.kind(), err.code()), ("retryable", FailureKind::Throttled, "45033"));
    assert!(standin.mass_tasks().is_empty());

    // An expired token on upload is replaced, as on every call.
    standin.expire_tokens();
    client.send(&rich("wmA")).await.unwrap();
    assert_eq!(standin.mass_tasks().len(), 1);
}

#[tokio::test]
async fn a_group_send_goes_to_the_named_chats_once_the_owner_confirms() {
    let standin = StandIn::start(Provider::Wecom).await;
    let (client, _) = client(&standin);
    let post = GroupPost {
        sender: "zhangsan".into(),
        chat_ids: vec!["wrOgQhDgAAAA".into(), "wrOgQhDgBBBB".into()],
        text: "今晚8点直播，草莓专场".into(),
        attachments: vec![
            Attachment::Image(Asset::bytes("product/42/cover", "cover.png", COVER)),
            Attachment::Miniprogram(card()),
        ],
    };
    let receipt = client.send_to_groups(&post).await.unwrap();
    assert!(receipt.awaiting_confirmation);
    let msgid = receipt.provider_message_id.unwrap();
    // The same pictures for a 1:1 send: no new upload.
    client.send(&Outgoing { attachments: post.attachments.clone(), ..rich("wmA") }).await.unwrap();
    assert_eq!([standin.upload_count(COVER), standin.upload_count(CARD_PIC)], [1, 1]);

    let task = &standin.mass_tasks()[0];
    assert_eq!(
        (task.msgid.as_str(), task.chat_type.as_str(), task.sender.as_deref()),
        (msgid.as_str(), "group", Some("zhangsan"))
    );
    assert_eq!(task.chat_ids, ["wrOgQhDgAAAA", "wrOgQhDgBBBB"]);
    assert!(task.external_userids.is_empty());
    assert_eq!(task.text, "今晚8点直播，草莓专场");
    let msgtypes: Vec<_> = task.attachments.iter().map(|a| a["msgtype"].as_str().unwrap()).collect();
    assert_eq!(msgtypes, ["image", "miniprogram"]);
    assert_eq!(standin.delivered().len(), 1, "only the 1:1 send reaches a person directly");

    let unsent = client.group_send_state(&msgid, "zhangsan").await.unwrap();
    assert_eq!(
        unsent,
        [("wrOgQhDgAAAA".to_string(), MassSendStatus::Unsent), ("wrOgQhDgBBBB".to_string(), MassSendStatus::Unsent)]
    );
    assert!(standin.confirm(&msgid));
    let sent = client.group_send_state(&msgid, "zhangsan").await.unwrap();
    assert!(sent.iter().all(|(_, s)| *s == MassSendStatus::Sent) && sent.len() == 2);
    // A customer reader finds no customers in a group task.
    assert!(client.mass_send_state(&msgid, "zhangsan").await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_sends_of_one_asset_upload_it_once() {
    let standin = StandIn::start(Provider::Wecom).await;
    standin.set_delay(Duration::from_millis(30));
    let (client, _) = client(&standin);
    let sends: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&rich(&format!("wm{i}"))).await })
        })
        .collect();
    for send in sends {
        send.await.unwrap().unwrap();
    }
    assert_eq!(upload_counts(&standin), [1, 1, 1]);
    assert_eq!(standin.mass_tasks().len(), 8);
}

#[tokio::test]
async fn files_on_disk_and_behind_urls_upload_once() {
    use axum::routing::get;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let standin = StandIn::start(Provider::Wecom).await;
    let (client, _) = client(&standin);

    let dir = std::env::temp_dir().join(format!("rekindle-wecom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("menu.pdf");
    std::fs::write(&path, b"%PDF-1.4 the menu").unwrap();

    // A CDN serving one picture, counting fetches.
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let cdn = axum::Router::new().route(
        "/cover.png",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { COVER }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cover.png", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, cdn).await.unwrap() });

    let out = |to: &str| Outgoing {
        attachments: vec![
            Attachment::File(Asset::path("menu", &path)),
            Attachment::Image(Asset::url("cdn/cover-v1", "cover.png", &url)),
        ],
        ..rich(to)
    };
    client.send(&out("wmA")).await.unwrap();
    client.send(&out("wmB")).await.unwrap();
    assert_eq!(standin.upload_count(b"%PDF-1.4 the menu"), 1);
    assert_eq!(standin.upload_count(COVER), 1);
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "a cached URL asset is not fetched again");
    assert_eq!(standin.uploads()[0].file_name, "menu.pdf");

    let missing =
        Outgoing { attachments: vec![Attachment::File(Asset::path("gone", dir.join("gone.pdf")))], ..rich("wmC") };
    let err = client.send(&missing).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (FailureKind::Misconfigured, "asset_unreadable"));
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
