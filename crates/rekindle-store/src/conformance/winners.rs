//! Automatic winners: recorded once per split, kept per workspace.

use chrono::Duration;
use rekindle_core::journey::{Against, Definition, VariantFigures, WinnerDecision, WinnerEvidence};

use super::{default_ws, t0};
use crate::{Store, StoreError};

fn decision(journey: rekindle_core::JourneyId, winner: &str) -> WinnerDecision {
    WinnerDecision {
        journey,
        step: "split".into(),
        winner: winner.into(),
        version: 1,
        decided_at: t0() + Duration::days(9),
        evidence: WinnerEvidence {
            metric: "order_rate".into(),
            window_days: 7,
            min_per_variant: 500,
            alpha: 0.05,
            variants: vec![
                VariantFigures { variant: "A".into(), units: 600, conversions: 180, rate: 0.3 },
                VariantFigures { variant: "B".into(), units: 610, conversions: 91, rate: 91.0 / 610.0 },
            ],
            against: vec![Against {
                variant: "B".into(),
                difference: 0.150_819_672_131_147_5,
                ci_low: 0.104_2,
                ci_high: 0.197_4,
                p_value: 1.25e-9,
                adjusted_p_value: 1.25e-9,
            }],
        },
    }
}

pub async fn winners_are_recorded_once_per_split(store: &dyn Store) {
    let ws = default_ws(store).await;
    let other = store.create_workspace("other", "Other", "Asia/Shanghai").await.unwrap().id;
    let d: Definition = serde_json::from_value(serde_json::json!({
        "trigger": {"type": "event", "event": "Order Completed"},
        "steps": [{"id": "split", "type": "split", "holdout_percent": 10, "auto_winner": {"min_per_variant": 500},
            "variants": [{"name": "A", "percent": 45, "next": "end"}, {"name": "B", "percent": 45, "next": "end"}]},
            {"id": "end", "type": "exit"}],
    }))
    .unwrap();
    let j = store.create_journey(ws, "auto", &d, t0()).await.unwrap().id;
    assert!(store.journey_winners(ws).await.unwrap().is_empty());
    let first = decision(j, "A");
    assert!(store.record_winner(ws, &first).await.unwrap());
    assert!(!store.record_winner(ws, &decision(j, "B")).await.unwrap(), "the first decision stands");
    assert_eq!(store.journey_winners(ws).await.unwrap(), [first], "read back whole, evidence and all");
    assert!(store.journey_winners(other).await.unwrap().is_empty(), "another workspace's are its own");
    assert!(matches!(store.record_winner(other, &decision(j, "B")).await, Err(StoreError::NotFound(_))));
}
