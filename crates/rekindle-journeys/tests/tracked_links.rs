//! Tracked links in delivery (docs/journeys.md, "Tracked links"): the web addresses of a
//! message to a person go out as short links, saved before the provider is called; a retried
//! send names the same links; SMS parameters are tracked, and nothing is without a public
//! address.

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::{Hands, dispatcher, open_store};
use rekindle_core::outreach::tracked::link_code;
use rekindle_core::outreach::{Attachment, CapsConfig, ChannelKind};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_delivery::standin::{Fault, Provider, StandIn};
use rekindle_journeys::dispatch::{DispatchConfig, Dispatcher};
use rekindle_store::prelude::*;
use rekindle_store::{NewMessage, OutboxState};
use rekindle_store_sqlite::SqliteStore;
use serde_json::{Value, json};

const BASE: &str = "https://rk.shop.cn";

struct Setup {
    store: Arc<SqliteStore>,
    ws: WorkspaceId,
    hands: Hands,
    standin: StandIn,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new(provider: Provider) -> Self {
        let (dir, store, ws) = open_store().await;
        let hands = Hands::at("2026-05-01T04:00:00Z".parse().unwrap());
        Self { store, ws, hands, standin: StandIn::start(provider).await, _dir: dir }
    }

    fn dispatcher(&self, link_base: Option<&str>) -> Dispatcher {
        let config = DispatchConfig { link_base: link_base.map(str::to_owned), ..DispatchConfig::default() };
        dispatcher(&self.store, &self.standin, self.hands.clock(), config)
    }

    async fn queue(&self, key: &str, channel: ChannelKind, to: &str, body: Value) {
        let now = self.hands.now();
        let m = NewMessage {
            send_key: key.into(),
            person: PersonId::new_v7(),
            journey: None,
            enrollment: None,
            step: Some("nudge".into()),
            variant: None,
            channel,
            recipient: to.into(),
            sender: (channel == ChannelKind::Wecom).then(|| "staff-1".to_owned()),
            template: (channel == ChannelKind::Sms).then(|| "SMS_1".to_owned()),
            body,
            transactional: true,
            not_before: now,
            day: now.date_naive(),
            skip: None,
            priority: 5,
            tag: None,
            when_capped: Default::default(),
            fallback: Vec::new(),
        };
        self.store.queue(self.ws, &[m], &CapsConfig::default()).await.unwrap();
    }

    async fn state(&self, key: &str) -> OutboxState {
        let all = self.store.messages(self.ws, None, 100).await.unwrap();
        all.into_iter().find(|m| m.send_key == key).unwrap().state
    }

    fn short(&self, key: &str, i: usize) -> String {
        format!("{BASE}/l/{}", link_code(self.ws, key, i))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_links_go_out_tracked_and_a_retry_names_the_same_ones() {
    let s = Setup::new(Provider::Wecom).await;
    let dispatcher = s.dispatcher(Some(BASE));
    let card = Attachment::Link { title: "直播间".into(), url: "https://shop.cn/room".into(), desc: None };
    let body = json!({
        "text": "王姐，今晚8点直播 https://shop.cn/live?id=9 ，预约：https://shop.cn/live?id=9。",
        "link": "https://shop.cn/coupon",
        "attachments": [card],
    });
    s.queue("k-1", ChannelKind::Wecom, "wm-1", body).await;
    // WeCom is busy the first time: the message is retried, not lost.
    s.standin.fail_next(Fault::Throttle);
    let first = dispatcher.round().await.unwrap();
    assert_eq!(first.retried, 1, "{first:?}");
    let code = |i| link_code(s.ws, "k-1", i);
    let saved = s.store.link_by_code(&code(0)).await.unwrap().expect("saved before the call").1;
    s.hands.advance(Duration::hours(2));
    let second = dispatcher.round().await.unwrap();
    assert_eq!(second.sent, 1, "{second:?}");
    assert_eq!(s.state("k-1").await, OutboxState::Awaiting);

    let got = s.standin.delivered();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].text,
        format!("王姐，今晚8点直播 {} ，预约：{}。", s.short("k-1", 0), s.short("k-1", 0)),
        "one short link per address"
    );
    let tasks = s.standin.mass_tasks();
    let urls: Vec<&str> = tasks[0].attachments.iter().filter_map(|a| a["link"]["url"].as_str()).collect();
    assert_eq!(urls, [s.short("k-1", 2), s.short("k-1", 1)], "the card, then the link as a card");
    // Each code leads back to its address, saved once across both attempts.
    for (i, url) in ["https://shop.cn/live?id=9", "https://shop.cn/coupon", "https://shop.cn/room"].iter().enumerate() {
        let (ws, link) = s.store.link_by_code(&code(i)).await.unwrap().unwrap();
        assert_eq!((ws, link.url.as_str(), link.send_key.as_str()), (s.ws, *url, "k-1"));
        assert_eq!((link.channel, link.step.as_deref()), (ChannelKind::Wecom, Some("nudge")));
    }
    assert_eq!(s.store.link_by_code(&code(0)).await.unwrap().unwrap().1, saved, "the first attempt's link, kept");
    assert_eq!(s.store.link_by_code(&code(3)).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_parameters_are_tracked_and_nothing_is_without_a_public_address() {
    let s = Setup::new(Provider::AliyunSms).await;
    let body = json!({"text": "领券 https://shop.cn/c 拒收请回复R", "params": [["url", "https://shop.cn/c"]]});
    s.queue("k-sms", ChannelKind::Sms, "13800138000", body.clone()).await;
    assert_eq!(s.dispatcher(Some(BASE)).round().await.unwrap().sent, 1);
    let got = s.standin.delivered();
    assert_eq!(got[0].params, [("url".to_owned(), s.short("k-sms", 0))]);

    // No public address: sent as written, nothing saved.
    s.queue("k-plain", ChannelKind::Sms, "13800138001", body).await;
    assert_eq!(s.dispatcher(None).round().await.unwrap().sent, 1);
    let got = s.standin.delivered();
    assert_eq!(got[1].params, [("url".to_owned(), "https://shop.cn/c".to_owned())]);
    assert_eq!(s.store.link_by_code(&link_code(s.ws, "k-plain", 0)).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_held_by_another_send_fails_the_message_instead_of_misleading() {
    let s = Setup::new(Provider::Wecom).await;
    // Another send's link already holds this send's first code (as a collision would).
    let taken = rekindle_store::TrackedLink {
        code: link_code(s.ws, "k-2", 0),
        send_key: "someone-else".into(),
        person: PersonId::new_v7(),
        journey: None,
        step: None,
        variant: None,
        channel: ChannelKind::Wecom,
        url: "https://elsewhere.cn/".into(),
        created_at: s.hands.now(),
    };
    s.store.save_links(s.ws, &[taken]).await.unwrap();
    s.queue("k-2", ChannelKind::Wecom, "wm-2", json!({"text": "看看 https://shop.cn/x"})).await;
    let round = s.dispatcher(Some(BASE)).round().await.unwrap();
    assert_eq!(round.failed, 1, "{round:?}");
    assert!(s.standin.delivered().is_empty(), "never sent with a link that leads elsewhere");
    let m = s.store.messages(s.ws, None, 10).await.unwrap().remove(0);
    assert_eq!((m.state, m.error_code.as_deref()), (OutboxState::Failed, Some("link_code_taken")));
}
