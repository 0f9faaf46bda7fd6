//! Subscription settings: the defaults until saved, kept whole per workspace, replaced whole.

use rekindle_core::outreach::LocalTime;
use rekindle_core::subscription::{OnNoAnswer, Settings};

use super::{default_ws, t0};
use crate::Store;

pub async fn subscription_settings_are_per_workspace(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other-subscriptions", "别家", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.subscription_settings(ws).await.unwrap(), Settings::default());
    let s = Settings {
        ask_days_before: 3,
        ask_at: LocalTime::hm(9, 30),
        cutoff_days_before: 2,
        cutoff_at: LocalTime::hm(18, 0),
        on_no_answer: OnNoAnswer::Ship,
    };
    store.put_subscription_settings(ws, &s, t0()).await.unwrap();
    assert_eq!(store.subscription_settings(ws).await.unwrap(), s);
    assert_eq!(store.subscription_settings(other).await.unwrap(), Settings::default());
    let back = Settings { on_no_answer: OnNoAnswer::Hold, ..s };
    store.put_subscription_settings(ws, &back, t0()).await.unwrap();
    assert_eq!(store.subscription_settings(ws).await.unwrap(), back, "replaced whole");
}

/// Channel codes: none until saved, kept whole per workspace, replaced whole.
pub async fn channel_codes_are_per_workspace(store: &dyn Store) {
    use rekindle_core::contacts::{ChannelCode, CodeInput, CodeKind, Pick};
    let ws = default_ws(store).await;
    let other = store.create_workspace("other-codes", "别家", "Asia/Shanghai").await.unwrap().id;
    assert!(store.channel_codes(ws).await.unwrap().is_empty());
    let input = CodeInput {
        name: "直播间 11-20".into(),
        source: "live".into(),
        kind: CodeKind::Contact,
        staff: vec!["host-1".into(), "host-2".into()],
        pick: Pick::Turn,
        groups: vec![],
        tags: vec!["直播粉".into()],
        welcome: Some("欢迎语".into()),
    };
    let mut code = ChannelCode::new(1, input, t0());
    code.config_id = Some("9ad7fa5cdaa6511298498f979c472aaa".into());
    store.put_channel_codes(ws, std::slice::from_ref(&code), t0()).await.unwrap();
    assert_eq!(store.channel_codes(ws).await.unwrap(), [code.clone()]);
    assert!(store.channel_codes(other).await.unwrap().is_empty());
    let archived = ChannelCode { archived: true, ..code };
    store.put_channel_codes(ws, std::slice::from_ref(&archived), t0()).await.unwrap();
    assert_eq!(store.channel_codes(ws).await.unwrap(), [archived], "replaced whole");
    use rekindle_core::contacts::tag_sync::TagSync;
    assert_eq!(store.tag_sync(ws).await.unwrap(), TagSync::default());
    let sync = TagSync { enabled: true, tags: vec!["VIP".into()], ..TagSync::default() };
    store.put_tag_sync(ws, &sync, t0()).await.unwrap();
    assert_eq!((store.tag_sync(ws).await.unwrap(), store.tag_sync(other).await.unwrap()), (sync, TagSync::default()));
}
