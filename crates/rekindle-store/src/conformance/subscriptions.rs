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
