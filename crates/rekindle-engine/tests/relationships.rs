//! WeCom relationships on simulated data (docs/relationships.md): reach per staff member as
//! Rekindle folds it from the events equals the simulator's truth — including customers who
//! removed one of two staff members and stay reachable through the other — and LTV by source
//! comes out in the order the simulator planted. Run with `--no-capture` for the figures.

#[allow(dead_code)] // the held clock is for other tests
mod common;

use rekindle_store::prelude::*;

use chrono::{Duration, TimeZone, Utc};
use rekindle_core::contacts::ContactFigures;
use rekindle_engine::{Audience, Judging};
use rekindle_sim::wecom::{reachable_per_staff, spend_by_source};
use rekindle_sim::{SimConfig, Simulation};
use rekindle_store::DEFAULT_WORKSPACE;
use rekindle_store_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reach_per_staff_matches_the_truth_and_ltv_by_source_keeps_the_planted_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let config = SimConfig { people: 4000, days: 150, seed: 22, ..SimConfig::demo() };
    let sim = Simulation::new(config.clone());
    let truths = common::load_simulation(&store, ws, &sim).await;
    let end = config.start + chrono::Days::new(u64::from(config.days));
    let now = Utc.from_utc_datetime(&end.and_hms_opt(0, 0, 0).unwrap()) - Duration::hours(8);
    let audience = Audience::load(&store, ws, now, &Judging::default()).await.unwrap();
    let figures =
        ContactFigures::of(audience.members.iter().map(|m| (&m.profile.contacts, m.profile.spend_fen())), now);

    // Reach per staff member: exactly the simulator's.
    let truth = reachable_per_staff(&truths);
    for (staff, expected) in &truth {
        let got = figures.staff.iter().find(|s| &s.staff_id == staff).map_or(0, |s| s.friends);
        println!("{staff}: {got} reachable (truth {expected})");
        assert_eq!(got, *expected, "{staff}");
    }
    let kept = truths.iter().filter(|t| t.removed_one_kept_another()).count() as u64;
    assert!(kept > 20, "people who removed one staff member and kept another: {kept}");
    assert!(figures.several_staff > 0);
    let truth_reachable = truths.iter().filter(|t| !t.reachable_staff_at_end().is_empty()).count() as u64;
    assert_eq!(figures.reachable, truth_reachable, "reachable customers");

    // LTV by source: the planted order (store, live above parcel above ads).
    let planted = spend_by_source(&truths);
    let ltv = |source: &str| figures.sources.iter().find(|s| s.source == source).map(|s| s.ltv_fen).unwrap();
    for (source, spend) in &planted {
        println!(
            "{}: LTV ¥{:.1} (truth ¥{:.1} over {} people)",
            source.as_str(),
            ltv(source.as_str()) as f64 / 100.0,
            spend.mean() / 100.0,
            spend.people
        );
    }
    // Rekindle sees a customer's orders only where OneID links their WeCom contact to their
    // mini-program account (by unionid; some have none), so its LTV is lower than the truth and
    // noisier; the planted gap between ads and the store and live codes still shows.
    for source in ["live", "parcel", "store", "referral", "offline"] {
        assert!(ltv(source) > ltv("ads"), "{source} above ads: {:?}", figures.sources);
    }
    assert!((ltv("store") + ltv("live")) as f64 / 2.0 > 1.4 * ltv("ads") as f64, "{:?}", figures.sources);
}
