//! Launch safety (docs/journeys.md): a journey's entry limits and coupon budget hold when
//! many enter or are given coupons at once, and the people turned away are counted.

use chrono::Duration;
use rekindle_core::PersonId;
use rekindle_core::journey::{EntryLimits, Reentry};
use rekindle_core::outreach::{CouponDefinition, CouponValue};

use super::journeys::published;
use super::{default_ws, t0};
use crate::{CouponIssue, NewEnrollment, Store};

pub async fn entry_limits_hold_under_racing_entries(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (j, version) = published(store, "限量").await;
    // The store's day is worked out by the caller (rekindle-core); here it is t0's hour on.
    let limits = |at| EntryLimits { per_day: Some(3), total: Some(5), day: Some(at..at + Duration::days(1)) };
    let enter = |person: PersonId, key: String, at| NewEnrollment {
        journey: j.id,
        version,
        person,
        trigger_key: key,
        reentry: Reentry::Once,
        context: serde_json::Value::Null,
        at,
        limits: limits(at),
    };
    // Twelve people at once on the first day: three places.
    let people: Vec<PersonId> = (0..12).map(|_| PersonId::new_v7()).collect();
    let day1 = t0();
    let tries = people.iter().enumerate().map(|(i, p)| {
        let new = enter(*p, format!("d1:{i}"), day1);
        async move { store.enroll(ws, &new).await.unwrap() }
    });
    let first = futures::future::join_all(tries).await;
    assert_eq!(first.iter().filter(|e| e.is_some()).count(), 3, "three a day");
    let refused: Vec<PersonId> = people.iter().zip(&first).filter(|(_, e)| e.is_none()).map(|(p, _)| *p).collect();
    assert_eq!(store.journey_entry_refusals(ws, j.id).await.unwrap(), [("entries_per_day".to_owned(), 9)]);

    // The next day the nine try again, at once: two places are left in all.
    let day2 = day1 + Duration::days(1);
    let tries = refused.iter().enumerate().map(|(i, p)| {
        let new = enter(*p, format!("d2:{i}"), day2);
        async move { store.enroll(ws, &new).await.unwrap() }
    });
    let second = futures::future::join_all(tries).await;
    assert_eq!(second.iter().filter(|e| e.is_some()).count(), 2, "five in all");
    let counted = store.journey_entry_refusals(ws, j.id).await.unwrap();
    assert_eq!(counted, [("entries_total".to_owned(), 7)], "those who entered since are not counted");

    // A journey without limits is not held by this one's.
    let (other, v) = published(store, "不限").await;
    let free = NewEnrollment {
        journey: other.id,
        version: v,
        limits: EntryLimits::default(),
        ..enter(refused[0], "x".into(), day2)
    };
    assert!(store.enroll(ws, &free).await.unwrap().is_some());
    assert!(store.journey_entry_refusals(ws, other.id).await.unwrap().is_empty());
}

pub async fn coupon_budget_holds_under_racing_issues(store: &dyn Store) {
    let ws = default_ws(store).await;
    let (j, _) = published(store, "预算").await;
    let (other, _) = published(store, "另一个").await;
    let coupon = CouponDefinition {
        name: "回归礼".into(),
        title: "回归礼包".into(),
        value: CouponValue::Amount { fen: 500 },
        threshold_fen: 0,
        valid_days: 7,
        per_person_limit: 1,
    };
    store.put_coupon(ws, &coupon).await.unwrap();
    // Ten people at once under a budget of four (people and inviters alike).
    let people: Vec<PersonId> = (0..10).map(|_| PersonId::new_v7()).collect();
    let tries = people.iter().enumerate().map(|(i, p)| async move {
        let key = rekindle_core::journey::coupon_key(i as i64 + 1, 0, "gift", i % 2 == 0);
        store.issue_journey_coupon(ws, "回归礼", *p, &key, t0(), j.id, Some(4)).await.unwrap()
    });
    let issued = futures::future::join_all(tries).await;
    assert_eq!(issued.iter().filter(|o| matches!(o, CouponIssue::Issued(_))).count(), 4, "{issued:?}");
    assert_eq!(issued.iter().filter(|o| **o == CouponIssue::BudgetSpent).count(), 6);
    // A retried issue of one given is the same coupon, budget spent or not.
    let (i, p) = issued
        .iter()
        .zip(&people)
        .enumerate()
        .find(|(_, (o, _))| matches!(o, CouponIssue::Issued(_)))
        .map(|(i, (_, p))| (i, *p))
        .unwrap();
    let key = rekindle_core::journey::coupon_key(i as i64 + 1, 0, "gift", i % 2 == 0);
    assert!(matches!(
        store.issue_journey_coupon(ws, "回归礼", p, &key, t0(), j.id, Some(4)).await.unwrap(),
        CouponIssue::Again(_)
    ));
    // Another journey's budget is its own.
    let someone = PersonId::new_v7();
    let o = store.issue_journey_coupon(ws, "回归礼", someone, "99:0:gift", t0(), other.id, Some(1)).await.unwrap();
    assert!(matches!(o, CouponIssue::Issued(_)));
    let again = store.issue_journey_coupon(ws, "回归礼", PersonId::new_v7(), "98:0:gift", t0(), other.id, Some(1));
    assert_eq!(again.await.unwrap(), CouponIssue::BudgetSpent);
    // No budget: only the per-person limit applies.
    let free = store.issue_journey_coupon(ws, "回归礼", PersonId::new_v7(), "97:0:gift", t0(), other.id, None);
    assert!(matches!(free.await.unwrap(), CouponIssue::Issued(_)));
}

pub async fn launch_settings_and_approvals(store: &dyn Store) {
    use crate::ApprovalState;
    use rekindle_core::journey::launch::{LaunchSettings, Seed};
    let ws = default_ws(store).await;
    assert_eq!(store.launch_settings(ws).await.unwrap(), LaunchSettings::default(), "nothing until saved");
    let settings = LaunchSettings {
        approval_required: true,
        seeds: vec![Seed { name: "小王".into(), phone: Some("+8613812345678".into()), ..Seed::default() }],
    };
    store.put_launch_settings(ws, &settings, t0()).await.unwrap();
    assert_eq!(store.launch_settings(ws).await.unwrap(), settings);
    let other = store.create_workspace("launch-other", "Other", "Asia/Shanghai").await.unwrap().id;
    assert_eq!(store.launch_settings(other).await.unwrap(), LaunchSettings::default(), "per workspace");

    let (j, _) = published(store, "待审批").await;
    let draft = store.journey(ws, j.id).await.unwrap().unwrap().draft;
    assert!(store.latest_approval(ws, j.id).await.unwrap().is_none());
    let first = store.request_approval(ws, j.id, &draft, "op@example.com", t0()).await.unwrap();
    assert_eq!((first.state, first.requested_by.as_str()), (ApprovalState::Pending, "op@example.com"));
    let second = store.request_approval(ws, j.id, &draft, "op@example.com", t0() + Duration::minutes(1)).await.unwrap();
    assert_eq!(store.latest_approval(ws, j.id).await.unwrap().unwrap().id, second.id);
    assert!(
        store.decide_approval(ws, first.id, true, "owner@example.com", None, t0()).await.unwrap().is_none(),
        "a withdrawn request is not decided"
    );
    assert!(store.decide_approval(other, second.id, true, "x", None, t0()).await.unwrap().is_none(), "not another's");
    // Two owners at once: one decision stands.
    let (a, b) = futures::future::join(
        store.decide_approval(ws, second.id, false, "owner@example.com", Some("文案要改"), t0()),
        store.decide_approval(ws, second.id, true, "boss@example.com", None, t0()),
    )
    .await;
    let decided: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(decided.len(), 1);
    let latest = store.latest_approval(ws, j.id).await.unwrap().unwrap();
    assert_eq!(latest, decided[0]);
    assert_ne!(latest.state, ApprovalState::Pending);
    assert_eq!(latest.draft, draft);
}
