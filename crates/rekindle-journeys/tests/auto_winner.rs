//! Automatic winners on a real (SQLite) store with the clock held by the test: a clearly
//! better variant is picked once every variant has its minimum of measured entries and not
//! before; from then on everyone the split does not hold out takes the winner; a tie never
//! picks.

mod common;

use std::collections::HashMap;

use chrono::Duration;
use common::{Shop, append, at, person, publish};
use rekindle_core::JourneyId;
use rekindle_core::journey::HOLDOUT;
use rekindle_core::outreach::CapsConfig;
use rekindle_journeys::decide_winners;
use rekindle_store::prelude::*;
use serde_json::json;

impl Shop {
    /// A split journey entered on `event`: A and B (45% each) and a 10% holdout, picking its
    /// winner after `min` measured entries a variant; the goal an order within 7 days.
    async fn journey(&self, name: &str, event: &str, min: u32) -> JourneyId {
        let d = json!({
            "trigger": {"type": "event", "event": event},
            "steps": [
                {"id": "split", "type": "split", "holdout_percent": 10, "auto_winner": {"min_per_variant": min},
                 "variants": [{"name": "A", "percent": 45, "next": "a"}, {"name": "B", "percent": 45, "next": "b"}]},
                {"id": "a", "type": "exit"},
                {"id": "b", "type": "exit"},
            ],
            "goal": {"event": "Order Completed", "within_days": 7},
        });
        publish(self, name, d).await
    }

    /// `n` new people, `{prefix}{k}`, send `event` now and enter; each variant's k-th entrant
    /// orders the next day when `orders(variant, k)` says so. The variants people got.
    async fn cohort(
        &self,
        prefix: &str,
        n: usize,
        event: &str,
        journey: JourneyId,
        orders: impl Fn(&str, usize) -> bool,
    ) -> HashMap<String, usize> {
        let t = self.hands.now();
        let users: Vec<String> = (0..n).map(|k| format!("{prefix}{k}")).collect();
        let triggers = users.iter().map(|u| {
            json!({"type": "track", "event": event, "userId": u, "messageId": format!("t-{u}"), "timestamp": t.to_rfc3339()})
        });
        append(self, triggers.collect()).await;
        self.runner.run(self.ws).await.unwrap();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut buys = Vec::new();
        for u in &users {
            let p = person(self, u).await;
            let e = self.store.person_enrollments(self.ws, p).await.unwrap();
            let variant = e.iter().find(|e| e.journey == journey).unwrap().variant.clone().unwrap();
            let k = seen.entry(variant.clone()).or_default();
            if orders(&variant, *k) {
                let at = (t + Duration::days(1)).to_rfc3339();
                buys.push(
                    json!({"type": "track", "event": "Order Completed", "userId": u, "messageId": format!("o-{u}"),
                    "timestamp": at, "properties": {"order_id": format!("o-{u}"), "revenue": 20}}),
                );
            }
            *k += 1;
        }
        append(self, buys).await;
        seen
    }
}

/// A: 3 in 10 order; B and the holdout: 1 in 10.
fn a_better(variant: &str, k: usize) -> bool {
    k % 10 < if variant == "A" { 3 } else { 1 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clearly_better_variant_wins_after_the_minimum_and_takes_the_new_entrants() {
    let s = Shop::open(at("2026-05-01T02:00:00Z"), CapsConfig::default()).await;
    let j = s.journey("auto", "Joined", 500).await;
    let first = s.cohort("p", 900, "Joined", j, a_better).await;
    assert!(first["A"] < 500 && first["B"] < 500, "fewer than the minimum a variant: {first:?}");
    // The window has not closed: nothing is measured yet.
    s.hands.set(at("2026-05-04T02:00:00Z"));
    assert!(decide_winners(&*s.store, &s.engine, s.ws).await.unwrap().is_empty());
    // Closed, A far ahead (30% against 10%), but below the minimum: no decision.
    s.hands.set(at("2026-05-09T03:00:00Z"));
    assert!(decide_winners(&*s.store, &s.engine, s.ws).await.unwrap().is_empty());
    assert!(s.store.journey_winners(s.ws).await.unwrap().is_empty());

    // A second cohort; once its week is over every variant has passed the minimum.
    let second = s.cohort("q", 900, "Joined", j, a_better).await;
    s.hands.set(at("2026-05-17T03:00:00Z"));
    let decided = decide_winners(&*s.store, &s.engine, s.ws).await.unwrap();
    assert_eq!(decided.len(), 1, "{decided:?}");
    let d = &decided[0];
    assert_eq!((d.journey, d.step.as_str(), d.winner.as_str(), d.version), (j, "split", "A", 1));
    assert_eq!(d.decided_at, s.hands.now());
    let e = &d.evidence;
    let units = |v: &str| first[v] as u64 + second[v] as u64;
    assert_eq!(
        e.variants.iter().map(|f| (f.variant.as_str(), f.units)).collect::<Vec<_>>(),
        [("A", units("A")), ("B", units("B"))]
    );
    for f in &e.variants {
        let (n, k) = (first[&f.variant], second[&f.variant]);
        let expected =
            (0..n).filter(|&i| a_better(&f.variant, i)).count() + (0..k).filter(|&i| a_better(&f.variant, i)).count();
        assert_eq!(f.conversions, expected as u64, "{}", f.variant);
    }
    let b = &e.against[0];
    assert!(b.variant == "B" && b.difference > 0.15 && b.ci_low > 0.0 && b.adjusted_p_value < 0.001, "{b:?}");
    assert_eq!((e.metric.as_str(), e.window_days, e.min_per_variant), ("order_rate", 7, 500));
    // Recorded once: asking again decides nothing new.
    assert!(decide_winners(&*s.store, &s.engine, s.ws).await.unwrap().is_empty());
    // Stored as JSON: the figures come back to the last bit or two.
    let stored = s.store.journey_winners(s.ws).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (&stored[0].winner, stored[0].decided_at, &stored[0].evidence.variants),
        (&d.winner, d.decided_at, &e.variants)
    );
    assert!((stored[0].evidence.against[0].ci_high - b.ci_high).abs() < 1e-12);

    // From now on everyone but the holdout is sent to A.
    s.runner.invalidate(s.ws);
    let third = s.cohort("r", 400, "Joined", j, |_, _| false).await;
    assert_eq!(third.get("B"), None, "{third:?}");
    assert!(third[HOLDOUT] > 15 && third["A"] > 330, "the holdout stays: {third:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tie_never_picks() {
    let s = Shop::open(at("2026-05-01T02:00:00Z"), CapsConfig::default()).await;
    let j = s.journey("tie", "Joined", 200).await;
    // Every arm: 2 in 10 order, cohort after cohort.
    for (round, prefix) in ["p", "q", "r"].iter().enumerate() {
        s.hands.set(at("2026-05-01T02:00:00Z") + Duration::days(8 * round as i64));
        s.cohort(prefix, 800, "Joined", j, |_, k| k % 10 < 2).await;
        s.hands.set(at("2026-05-01T03:00:00Z") + Duration::days(8 * round as i64 + 8));
        assert!(decide_winners(&*s.store, &s.engine, s.ws).await.unwrap().is_empty(), "round {round}");
    }
    assert!(s.store.journey_winners(s.ws).await.unwrap().is_empty());
}
