//! Predictions against the simulator's ground truth (docs/models.md): who is still a
//! customer at the end of the window, and when each person's categories run out — each beside
//! a naive baseline, so the gain is visible. Run with `--no-capture` to see the figures.

#[allow(dead_code)] // the held clock is for other tests
mod common;

use rekindle_store::prelude::*;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rekindle_core::profile::Profile;
use rekindle_core::{Identifier, IdentifierKind, PersonId};
use rekindle_engine::{Audience, Judging};
use rekindle_sim::{SimConfig, Simulation, Truth};
use rekindle_store::{DEFAULT_WORKSPACE, PersonRef};
use rekindle_store_sqlite::SqliteStore;

/// Area under the ROC curve: the chance a random positive scores above a random negative.
fn auc(scored: &[(f64, bool)]) -> f64 {
    let mut sorted = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut positives) = (0.0, 0.0);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let mid_rank = (i + j + 1) as f64 / 2.0; // ties share the mean rank
        for s in &sorted[i..j] {
            if s.1 {
                rank_sum += mid_rank;
                positives += 1.0;
            }
        }
        i = j;
    }
    let negatives = sorted.len() as f64 - positives;
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(8)).date_naive()
}

/// The naive run-out: the last gap between two purchases of the category repeats; with one
/// purchase, the category's typical cycle.
fn last_gap_repeats(p: &Profile, category: &str, cycle_days: f64) -> DateTime<Utc> {
    let mut times: Vec<DateTime<Utc>> = p
        .orders
        .iter()
        .filter(|(_, o)| o.items.iter().any(|i| i.category() == Some(category)))
        .map(|(_, o)| o.at)
        .collect();
    times.sort();
    let last = *times.last().unwrap();
    match times[..] {
        [.., before, last] => last + (last - before),
        _ => last + Duration::seconds((cycle_days * 86_400.0) as i64),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predictions_beat_naive_baselines_on_simulated_truth() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let config = SimConfig { people: 3000, days: 150, seed: 21, ..SimConfig::default() };
    let sim = Simulation::new(config.clone());
    store.put_products(ws, sim.products()).await.unwrap();
    let truths = common::load_simulation(&store, ws, &sim).await;
    let end = config.start + chrono::Days::new(u64::from(config.days));
    // The window ends at local midnight (+08:00).
    let now = Utc.from_utc_datetime(&end.and_hms_opt(0, 0, 0).unwrap()) - Duration::hours(8);
    let judging = Judging::default();
    let audience = Audience::load(&store, ws, now, &judging).await.unwrap();
    let fit = audience.context.fit.as_ref().expect("the models fit on a simulated store");
    println!(
        "BG/NBD {:?} over {} buyers ({} repeat), LL {:.1}",
        fit.bgnbd, fit.customers, fit.repeat_buyers, fit.log_likelihood
    );
    println!("Gamma-Gamma {:?}", fit.gamma_gamma);

    // The models page's groups: each buyer is in exactly the group whose rule selects them.
    let rules: Vec<_> = rekindle_core::scores::ActionGroup::ALL
        .iter()
        .map(|g| (*g, rekindle_rules::parse(g.rule()).expect("a group's rule parses")))
        .collect();
    let mut grouped = HashMap::new();
    for m in audience.members.iter().filter(|m| m.scores.is_some()) {
        let group = rekindle_core::scores::ActionGroup::of(m.scores.as_ref().unwrap(), m.tier, now);
        let matching: Vec<_> = rules.iter().filter(|(_, r)| audience.matches(m, r)).map(|(g, _)| *g).collect();
        assert_eq!(matching, [group], "{:?}", m.scores);
        *grouped.entry(group).or_insert(0) += 1;
    }
    println!("action groups {grouped:?}");
    assert!(grouped.len() >= 4, "buyers split into actionable groups: {grouped:?}");

    let mut truth_of: HashMap<PersonId, &Truth> = HashMap::new();
    for t in &truths {
        let kind = if t.orders > 0 { IdentifierKind::UserId } else { IdentifierKind::AnonymousId };
        let found = store.person(ws, &PersonRef::Identifier(Identifier { kind, value: t.id.clone() })).await.unwrap();
        if let Some(p) = found {
            truth_of.insert(p.id, t);
        }
    }

    // Churn: gone at the end of the window, among people who ordered.
    let mut model = Vec::new();
    let mut recency = Vec::new();
    let mut expected = Vec::new();
    let mut risk = Vec::new();
    // Depletion: days off the simulator's run-out date, per (person, category) still stocked.
    let (mut model_err, mut naive_err, mut covered, mut pairs) = (0.0, 0.0, 0usize, 0usize);
    for m in &audience.members {
        let (Some(scores), Some(truth)) = (&m.scores, truth_of.get(&m.person)) else { continue };
        let churned = !truth.alive_at_end;
        model.push((1.0 - scores.p_alive, churned));
        expected.push((-scores.expected_orders_30d, churned));
        risk.push((scores.churn_risk as u8 as f64, churned));
        let since = (now - m.profile.last_order().unwrap()).num_seconds() as f64;
        recency.push((since, churned));
        for r in &scores.run_outs {
            let Some(day) = truth.next_depletion.get(r.category.as_str()) else { continue };
            let actual = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
            let cycle = judging.lifecycle.category_cycle_days.get(&r.category).copied().unwrap_or(14.0);
            let naive = last_gap_repeats(&m.profile, &r.category, cycle);
            model_err += (local_day(r.at) - actual).num_days().abs() as f64;
            naive_err += (local_day(naive) - actual).num_days().abs() as f64;
            covered += usize::from(local_day(r.low) <= actual && actual <= local_day(r.high));
            pairs += 1;
        }
    }
    // MBG/NBD on the same buyers.
    let cal = audience.context.calendar;
    let customers: Vec<_> =
        audience.members.iter().filter_map(|m| rekindle_engine::scoring::customer(&m.profile, now, &cal)).collect();
    let mbg = rekindle_models::bgnbd::BgNbd::params(&rekindle_models::bgnbd::BgNbd::fit_modified(&customers).unwrap());
    let mbg_scored: Vec<(f64, bool)> = audience
        .members
        .iter()
        .filter_map(|m| {
            let t = truth_of.get(&m.person)?;
            let c = rekindle_engine::scoring::customer(&m.profile, now, &cal)?;
            Some((1.0 - mbg.p_alive_modified(&c), !t.alive_at_end))
        })
        .collect();
    println!("churn AUC: 1 − MBG/NBD P(alive) {:.3} ({mbg:?})", auc(&mbg_scored));
    let (model_auc, recency_auc) = (auc(&model), auc(&recency));
    let churn_rate = model.iter().filter(|(_, c)| *c).count() as f64 / model.len() as f64;
    println!("churn AUC: -E[orders in 30d] {:.3}, risk level {:.3}", auc(&expected), auc(&risk));
    println!(
        "churn: {} buyers, {:.0}% gone; AUC 1 − P(alive) {model_auc:.3}, days since last order {recency_auc:.3}",
        model.len(),
        churn_rate * 100.0
    );
    let (model_mae, naive_mae) = (model_err / pairs as f64, naive_err / pairs as f64);
    println!(
        "depletion: {pairs} (person, category) pairs; MAE {model_mae:.2} days, last gap repeats {naive_mae:.2} days; 80% interval covers {:.0}%",
        covered as f64 / pairs as f64 * 100.0
    );
    let profiles: Vec<_> = audience.members.iter().map(|m| m.profile.clone()).collect();
    let calibration = rekindle_engine::scoring::calibration(profiles.iter().map(|p| &**p), now, 30, &cal).unwrap();
    for (x, n, predicted, actual) in &calibration.groups {
        println!(
            "calibration: {x} repeats: {n} customers, predicted {predicted:.3}, actual {actual:.3} orders in 30 days"
        );
    }
    let total = |f: fn(&(u32, usize, f64, f64)) -> f64| calibration.groups.iter().map(f).sum::<f64>();
    let (predicted, actual) = (total(|g| g.1 as f64 * g.2), total(|g| g.1 as f64 * g.3));
    println!("calibration: {predicted:.0} orders predicted for the holdout, {actual:.0} placed");
    assert!((predicted / actual - 1.0).abs() < 0.1, "the holdout total is within 10%");
    assert!(model_auc > 0.5 && recency_auc > 0.5);
    assert!(model_mae < naive_mae, "the depletion model beats the naive baseline");
}
