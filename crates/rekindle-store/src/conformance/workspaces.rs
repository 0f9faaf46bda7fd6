//! Workspaces and write keys.

use super::*;

pub async fn default_workspace_and_isolation(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    assert_ne!(ws, other.id);
    assert!(matches!(
        store.create_workspace("north", "again", "Asia/Shanghai").await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.workspaces().await.unwrap().len(), 2);

    let m =
        |id: &str| msg(serde_json::json!({"type": "track", "userId": "u1", "event": "Live Entered", "messageId": id}));
    append(store, ws, &[m("a")]).await;
    // The same userId and messageId in another store is another person and another event.
    let r = append(store, other.id, &[m("a")]).await;
    assert_eq!(r.stored, 1);
    let p1 = person_of(store, ws, IdentifierKind::UserId, "u1").await.unwrap();
    let p2 = person_of(store, other.id, IdentifierKind::UserId, "u1").await.unwrap();
    assert_ne!(p1, p2);
    assert!(store.person(other.id, &PersonRef::Id(p1)).await.unwrap().is_none());
    assert!(all_events(store, other.id, Some(p1)).await.is_empty());
    assert_eq!(store.totals(ws).await.unwrap().events, 1);
}

pub async fn write_keys(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("south", "南店", "Asia/Shanghai").await.unwrap();
    let k = store.create_write_key(ws, "mini-program", "hash-1", "rk_abc").await.unwrap();
    assert_eq!(k.workspace, ws);
    assert_eq!(store.write_key_by_hash("hash-1").await.unwrap().map(|k| k.id), Some(k.id));
    assert!(store.write_key_by_hash("hash-2").await.unwrap().is_none());
    assert_eq!(store.write_keys(ws).await.unwrap().len(), 1);
    assert!(store.write_keys(other.id).await.unwrap().is_empty());
    // Another workspace cannot revoke it.
    assert!(matches!(store.revoke_write_key(other.id, k.id).await, Err(StoreError::NotFound(_))));
    store.revoke_write_key(ws, k.id).await.unwrap();
    assert!(store.write_key_by_hash("hash-1").await.unwrap().is_none());
    assert!(store.write_keys(ws).await.unwrap()[0].revoked_at.is_some());
}

pub async fn workspace_settings(store: &dyn Store) {
    let ws = default_ws(store).await;
    let changed = store.update_workspace(ws, None, Some("Asia/Hong_Kong")).await.unwrap();
    assert_eq!(changed.time_zone, "Asia/Hong_Kong");
    let renamed = store.update_workspace(ws, Some("鲜生"), None).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.time_zone.as_str()), ("鲜生", "Asia/Hong_Kong"));
    assert!(matches!(store.update_workspace(WorkspaceId(9999), Some("x"), None).await, Err(StoreError::NotFound(_))));
}

pub async fn channel_settings_are_per_workspace(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other", "别家", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.channel_settings(ws).await.unwrap(), None, "nothing saved yet");
    let first = serde_json::json!({"webhook": {"url": "https://ops.example/hook", "secret": "s3cret"}});
    store.put_channel_settings(ws, &first, t0()).await.unwrap();
    let second = serde_json::json!({"wecom": {"corp_id": "ww1"}, "sms_provider": "aliyun"});
    store.put_channel_settings(ws, &second, t0()).await.unwrap();
    assert_eq!(store.channel_settings(ws).await.unwrap(), Some(second), "replaced whole");
    assert_eq!(store.channel_settings(other).await.unwrap(), None, "another workspace's are its own");
}

pub async fn team_targets_are_replaced_whole(store: &dyn Store) {
    use rekindle_core::targets::{Kpi, Team, TeamTarget};
    let ws = default_ws(store).await;
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert!(store.team_targets(ws).await.unwrap().is_empty());
    let first = [
        TeamTarget { team: Team::Service, kpi: Kpi::Tickets48h, target: 0.95 },
        TeamTarget { team: Team::Live, kpi: Kpi::Repurchase7d, target: 0.25 },
    ];
    store.put_team_targets(ws, &first, t0()).await.unwrap();
    assert_eq!(store.team_targets(ws).await.unwrap(), [first[1], first[0]], "by team, then rate");
    let second = [TeamTarget { team: Team::Community, kpi: Kpi::Wakeup14d, target: 0.125 }];
    store.put_team_targets(ws, &second, t0()).await.unwrap();
    assert_eq!(store.team_targets(ws).await.unwrap(), second, "replaced whole");
    assert!(store.team_targets(other).await.unwrap().is_empty(), "another workspace's are its own");
}
