//! The global control group's setting: off until saved, kept whole per workspace, replaced
//! whole.

use rekindle_core::programme::ControlGroup;

use super::{default_ws, t0};
use crate::Store;

pub async fn control_group_is_per_workspace(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other-control", "别家", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.control_group(ws).await.unwrap(), ControlGroup::default());
    let g = ControlGroup { percent: 15, refresh_days: 60, since: Some("2026-05-01".parse().unwrap()) };
    store.put_control_group(ws, &g, t0()).await.unwrap();
    assert_eq!(store.control_group(ws).await.unwrap(), g);
    assert_eq!(store.control_group(other).await.unwrap(), ControlGroup::default(), "the other store has none");
    let off = ControlGroup { percent: 0, ..g };
    store.put_control_group(ws, &off, t0()).await.unwrap();
    assert_eq!(store.control_group(ws).await.unwrap(), off, "replaced whole");
}
