//! The catalogue and the live-session schedule.

use super::*;

pub async fn catalogue_and_schedule(store: &dyn Store) {
    use rekindle_core::objects::{LiveSession, Product};
    let ws = default_ws(store).await;
    let other = store.create_workspace("east", "东店", "Asia/Shanghai").await.unwrap();
    let oat = |price| Product {
        sku: "oat-1kg".into(),
        name: "澳洲燕麦片 1kg".into(),
        category: "谷物".into(),
        price,
        pack_size: 1,
        tags: vec!["organic".into()],
        months: vec![],
    };
    let berry = Product {
        sku: "strawberry".into(),
        name: "红颜草莓".into(),
        category: "时令".into(),
        price: 5990,
        pack_size: 1,
        tags: vec!["new".into()],
        months: vec![1, 2, 3, 4],
    };
    store.put_products(ws, vec![oat(3990), berry.clone()]).await.unwrap();
    store.put_products(ws, vec![oat(3590)]).await.unwrap();
    let products = store.products(ws).await.unwrap();
    assert_eq!(products, vec![oat(3590), berry.clone()], "replaced by SKU, listed by SKU");
    assert!(store.products(other.id).await.unwrap().is_empty());
    store.put_products(other.id, vec![oat(100)]).await.unwrap();
    store.delete_products(ws, vec!["oat-1kg".into(), "unknown".into()]).await.unwrap();
    store.delete_products(ws, vec!["oat-1kg".into()]).await.unwrap();
    assert_eq!(store.products(ws).await.unwrap(), vec![berry.clone()], "removed by SKU, twice is once");
    assert_eq!(store.products(other.id).await.unwrap(), vec![oat(100)], "only in its own workspace");

    let session = |id: &str, day: u32| LiveSession {
        id: id.into(),
        title: format!("早餐好物专场 {day}"),
        topics: vec!["乳品".into(), "谷物".into()],
        host: "小鹿".into(),
        scheduled_start: Utc.with_ymd_and_hms(2026, 5, day, 12, 0, 0).unwrap(),
        started_at: None,
        ended_at: None,
    };
    store.put_live_sessions(ws, vec![session("b", 3), session("a", 2)]).await.unwrap();
    let mut ended = session("b", 3);
    ended.started_at = Some(Utc.with_ymd_and_hms(2026, 5, 3, 12, 1, 0).unwrap());
    ended.ended_at = Some(Utc.with_ymd_and_hms(2026, 5, 3, 14, 0, 0).unwrap());
    store.put_live_sessions(ws, vec![ended.clone()]).await.unwrap();
    assert_eq!(store.live_sessions(ws).await.unwrap(), vec![session("a", 2), ended], "by start");
    assert!(store.live_sessions(other.id).await.unwrap().is_empty());
}
