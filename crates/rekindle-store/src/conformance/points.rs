//! The points ledger: a store writes what `rekindle_core::loyalty::Ledger` writes, entry for
//! entry; racing redemptions never overspend; a merge joins two ledgers; erasure and export
//! cover it.

use chrono::Duration;
use rekindle_core::loyalty::{Entry, Expiry, Kind, Ledger, Posted, Program};
use rekindle_core::{IdentifierKind, PersonId, WorkspaceId};

use super::{append, default_ws, msg, person_of, t0};
use crate::Store;

fn entry(kind: Kind, points: i64, source: &str, days: i64) -> Entry {
    let at = t0() + Duration::days(days);
    let expires_at = (points > 0 && kind == Kind::Earn).then(|| at + Duration::days(30));
    Entry { kind, points, source: source.into(), reason: "测试".into(), at, expires_at }
}

async fn someone(store: &dyn Store, ws: WorkspaceId, user: &str) -> PersonId {
    let m = msg(serde_json::json!({"type": "identify", "userId": user, "messageId": format!("id-{user}")}));
    append(store, ws, &[m]).await;
    person_of(store, ws, IdentifierKind::UserId, user).await.unwrap()
}

/// A small deterministic generator (xorshift): the same sequence on every backend and run.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

pub async fn points_follow_the_ledger_model(store: &dyn Store) {
    let ws = default_ws(store).await;
    let person = someone(store, ws, "p1").await;
    let mut model = Ledger::default();
    let mut d = Draw(0x5eed);
    for step in 0..300i64 {
        let day = step / 10;
        let e = match d.below(6) {
            0 | 1 => entry(Kind::Earn, 1 + d.below(300) as i64, &format!("earn:{}", d.below(40)), day),
            2 | 3 => entry(Kind::Redeem, -(1 + d.below(400) as i64), &format!("redeem:{}", d.below(30)), day),
            4 => {
                let k = d.below(30);
                let held = model.entries().iter().find(|e| e.source == format!("redeem:{k}")).map(|e| -e.points);
                entry(Kind::Release, held.unwrap_or(1), &format!("release:{k}"), day)
            }
            _ => {
                let now = t0() + Duration::days(day);
                let due = Ledger::new(store.points_entries(ws, person).await.unwrap()).expiries_due(now);
                assert_eq!(due, model.expiries_due(now), "step {step}");
                let posted = store.post_points(ws, person, &due).await.unwrap();
                let expected: Vec<Posted> = due.into_iter().map(|e| model.post(e)).collect();
                assert_eq!(posted, expected, "step {step}");
                continue;
            }
        };
        // Every write is sent twice, as a client that did not hear the answer would.
        let posted = store.post_points(ws, person, &[e.clone(), e.clone()]).await.unwrap();
        let expected = [model.post(e.clone()), model.post(e)];
        assert_eq!(posted, expected, "step {step}");
    }
    let stored = store.points_entries(ws, person).await.unwrap();
    assert_eq!(stored, model.entries(), "entry for entry");
    let balance = model.balance();
    assert!(balance >= 0);
    assert_eq!(store.points_balances(ws).await.unwrap(), vec![(person, balance)]);
}

/// Many people's entries posted together: each as it would be alone, in the order given, one
/// model ledger a person (a source names one thing in the workspace, so each person's are
/// their own).
pub async fn points_of_many_people_post_as_one_by_one(store: &dyn Store) {
    let ws = default_ws(store).await;
    let people = [someone(store, ws, "m1").await, someone(store, ws, "m2").await, someone(store, ws, "m3").await];
    let mut models = [Ledger::default(), Ledger::default(), Ledger::default()];
    let mut d = Draw(0xba7c);
    for step in 0..60i64 {
        let batch: Vec<(usize, Entry)> = (0..1 + d.below(6))
            .map(|_| {
                let who = d.below(3) as usize;
                let e = match d.below(3) {
                    0 | 1 => {
                        entry(Kind::Earn, 1 + d.below(300) as i64, &format!("earn:{who}:{}", d.below(20)), step / 10)
                    }
                    _ => entry(
                        Kind::Redeem,
                        -(1 + d.below(400) as i64),
                        &format!("redeem:{who}:{}", d.below(15)),
                        step / 10,
                    ),
                };
                (who, e)
            })
            .collect();
        let sent: Vec<(PersonId, Entry)> = batch.iter().map(|(who, e)| (people[*who], e.clone())).collect();
        let posted = store.post_points_of_many(ws, &sent).await.unwrap();
        let expected: Vec<Posted> = batch.into_iter().map(|(who, e)| models[who].post(e)).collect();
        assert_eq!(posted, expected, "step {step}");
    }
    for (person, model) in people.iter().zip(&models) {
        assert_eq!(store.points_entries(ws, *person).await.unwrap(), model.entries(), "entry for entry");
    }
    assert!(store.post_points_of_many(ws, &[]).await.unwrap().is_empty());
    // Someone merged away shares their survivor's balance: what one of them spends, the
    // other no longer has, within the batch too.
    let survivor = someone(store, ws, "m4").await;
    append(store, ws, &[msg(serde_json::json!({"type": "identify", "anonymousId": "m5", "messageId": "id-m5"}))]).await;
    let absorbed = person_of(store, ws, IdentifierKind::AnonymousId, "m5").await.unwrap();
    store.post_points(ws, absorbed, &[entry(Kind::Earn, 100, "earn:m5", 7)]).await.unwrap();
    append(
        store,
        ws,
        &[msg(serde_json::json!({"type": "alias", "userId": "m4", "previousId": "m5", "messageId": "m4-m5"}))],
    )
    .await;
    let posted = store
        .post_points_of_many(
            ws,
            &[
                (absorbed, entry(Kind::Redeem, -60, "redeem:m5", 7)),
                (survivor, entry(Kind::Redeem, -60, "redeem:m4", 7)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(posted, [Posted::Written, Posted::Refused { balance: 40 }]);
}

pub async fn racing_redemptions_never_overspend(store: &dyn Store) {
    let ws = default_ws(store).await;
    let person = someone(store, ws, "racer").await;
    store.post_points(ws, person, &[entry(Kind::Earn, 1000, "order:o1", 0)]).await.unwrap();
    // Forty redemptions of 100 at once, each with its own key: ten can be paid.
    let tries = (0..40).map(|k| {
        let e = entry(Kind::Redeem, -100, &format!("redeem:r{k}"), 1);
        async move { store.post_points(ws, person, &[e]).await.unwrap()[0] }
    });
    let posted = futures::future::join_all(tries).await;
    assert_eq!(posted.iter().filter(|p| **p == Posted::Written).count(), 10, "{posted:?}");
    assert!(posted.iter().all(|p| matches!(p, Posted::Written | Posted::Refused { .. })));
    // The same key sent ten times at once is one redemption.
    store.post_points(ws, person, &[entry(Kind::Release, 100, "release:r0", 2)]).await.unwrap();
    let again = (0..10).map(|_| async {
        store.post_points(ws, person, &[entry(Kind::Redeem, -100, "redeem:same", 2)]).await.unwrap()[0]
    });
    let again = futures::future::join_all(again).await;
    assert_eq!(again.iter().filter(|p| **p == Posted::Written).count(), 1, "{again:?}");
    let entries = store.points_entries(ws, person).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.points).sum::<i64>(), 0, "all spent, none overspent");
}

pub async fn redemptions_are_confirmed_or_released_once(store: &dyn Store) {
    let ws = default_ws(store).await;
    let person = someone(store, ws, "buyer").await;
    store
        .post_points(ws, person, &[entry(Kind::Earn, 500, "order:o1", 0), entry(Kind::Redeem, -100, "redeem:k1", 0)])
        .await
        .unwrap();
    store.post_points(ws, person, &[entry(Kind::Redeem, -50, "redeem:k2", 0)]).await.unwrap();
    let held = store.redemption(ws, "k1").await.unwrap().expect("held");
    assert_eq!((held.person, held.entry.points, held.confirmed_at, held.released), (person, -100, None, false));
    assert!(store.confirm_redemption(ws, "k1", t0()).await.unwrap());
    assert!(store.confirm_redemption(ws, "k1", t0() + Duration::days(1)).await.unwrap(), "again is fine");
    assert_eq!(store.redemption(ws, "k1").await.unwrap().unwrap().confirmed_at, Some(t0()), "the first confirmation");
    // k2 is cancelled: released, and can no longer be confirmed.
    store.post_points(ws, person, &[entry(Kind::Release, 50, "release:k2", 0)]).await.unwrap();
    assert!(!store.confirm_redemption(ws, "k2", t0()).await.unwrap());
    assert!(store.redemption(ws, "k2").await.unwrap().unwrap().released);
    assert!(!store.confirm_redemption(ws, "nope", t0()).await.unwrap());
    assert_eq!(store.redemption(ws, "nope").await.unwrap(), None);
    // The program: the defaults until saved, then what was saved, per workspace.
    assert_eq!(store.loyalty_program(ws).await.unwrap(), Program::default());
    let mine = Program { points_per_yuan: 100, expiry: Expiry::Days { days: 90 }, ..Program::default() };
    store.put_loyalty_program(ws, &mine, t0()).await.unwrap();
    assert_eq!(store.loyalty_program(ws).await.unwrap(), mine);
    let other = store.create_workspace("other-points", "Other", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.loyalty_program(other).await.unwrap(), Program::default());
    assert!(store.redemption(other, "k1").await.unwrap().is_none(), "another workspace's redemption");
    // The follower's cursor only moves forward.
    assert_eq!(store.points_cursor(ws).await.unwrap(), 0);
    store.set_points_cursor(ws, 40).await.unwrap();
    store.set_points_cursor(ws, 12).await.unwrap();
    assert_eq!(store.points_cursor(ws).await.unwrap(), 40);
    assert_eq!(store.points_cursor(other).await.unwrap(), 0);
}

pub async fn points_follow_a_merge_and_are_erased(store: &dyn Store) {
    let ws = default_ws(store).await;
    let anon =
        msg(serde_json::json!({"type": "track", "event": "Live Entered", "anonymousId": "dev-p", "messageId": "dp"}));
    let user = msg(serde_json::json!({"type": "track", "event": "Live Entered", "userId": "up", "messageId": "upm"}));
    append(store, ws, &[anon]).await;
    append(store, ws, &[user]).await;
    let a = person_of(store, ws, IdentifierKind::AnonymousId, "dev-p").await.unwrap();
    let u = person_of(store, ws, IdentifierKind::UserId, "up").await.unwrap();
    store.post_points(ws, a, &[entry(Kind::Earn, 300, "watch:a", 0)]).await.unwrap();
    let first = store.points_version(ws).await.unwrap();
    store.post_points(ws, u, &[entry(Kind::Earn, 200, "order:u", 0)]).await.unwrap();
    // Who has entries after an id: only the people written to since.
    let second = store.points_version(ws).await.unwrap();
    assert_eq!(store.points_people_since(ws, first).await.unwrap(), (second, vec![u]));
    assert_eq!(store.points_people_since(ws, second).await.unwrap(), (second, vec![]), "nobody since the newest");
    let alias =
        msg(serde_json::json!({"type": "alias", "userId": "up", "previousId": "dev-p", "messageId": "alias-p"}));
    assert_eq!(append(store, ws, &[alias]).await.merges, 1);
    let (survivor, _) = (a.min(u), a.max(u));
    assert_eq!(store.points_entries(ws, survivor).await.unwrap().len(), 2, "both ledgers");
    let (version, all) = store.points_ledgers(ws).await.unwrap();
    assert_eq!(all.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [survivor, survivor], "under the survivor");
    assert_eq!(version, store.points_version(ws).await.unwrap());
    assert!(version > 0);
    assert_eq!(store.points_people_since(ws, 0).await.unwrap(), (version, vec![survivor]), "each once, merged");
    assert_eq!(store.points_balances(ws).await.unwrap(), vec![(survivor, 500)]);
    // Many ledgers at once read what each read alone does: the survivor's both, the one merged
    // away its own, someone without entries none.
    let (gone, nobody) = (a.max(u), PersonId(rekindle_core::ids::Uuid::now_v7()));
    let many = store.points_entries_of(ws, &[survivor, gone, nobody, survivor]).await.unwrap();
    assert_eq!(many.len(), 3, "each asked person once");
    for p in [survivor, gone, nobody] {
        assert_eq!(many[&p], store.points_entries(ws, p).await.unwrap(), "{p:?}");
    }
    assert_eq!(many[&survivor].len(), 2);
    // The joined balance pays for what neither could alone.
    let big = entry(Kind::Redeem, -450, "redeem:big", 1);
    assert_eq!(store.post_points(ws, survivor, &[big]).await.unwrap(), [Posted::Written]);
    let export = store.export_person(ws, survivor).await.unwrap();
    assert_eq!(export.records.get("points_entries").map(Vec::len), Some(3), "{:?}", export.records.keys());
    store.erase_person(ws, survivor).await.unwrap();
    assert!(store.points_entries(ws, survivor).await.unwrap().is_empty());
    assert!(store.points_entries(ws, a.max(u)).await.unwrap().is_empty());
    assert!(store.points_balances(ws).await.unwrap().is_empty());
}
