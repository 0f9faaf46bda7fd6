//! Issue 18: on a simulated store whose Tuesday and Saturday sessions keep viewers better
//! (docs/simulator.md, "Planted effects"), `rekindle report schedule` finds those two weekdays
//! on top, with intervals that set them apart.

mod common;

use std::collections::BTreeMap;

use common::{Simulated, path, rekindle};

#[test]
fn the_schedule_analysis_finds_the_weekdays_that_keep_viewers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sim = Simulated::generate(dir.path(), 120, 2);
    let (start_s, last_s) = (sim.start.to_string(), sim.last.to_string());
    let store = ["--data-dir", path(&data)];
    sim.import(&store);

    let report = ["report", "schedule", "--from", &start_s, "--to", &last_s, "--as-of", &last_s, "--days", "7"];
    let csv = rekindle(&[&store[..], &report, &["--csv", "--lang", "en"]].concat());
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "dimension,group,sessions,viewers,kept,keep_rate,keep_low,keep_high,buyers,conversion_rate,conversion_low,prefer"
        )
    );
    // Weekday (1 Monday – 7 Sunday) → (keep rate, low, high, viewers).
    let weekdays: BTreeMap<u32, (f64, f64, f64, u64)> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[0] == "weekday")
        .map(|f| {
            (
                f[1].parse().unwrap(),
                (f[5].parse().unwrap(), f[6].parse().unwrap(), f[7].parse().unwrap(), f[3].parse().unwrap()),
            )
        })
        .collect();
    println!("{weekdays:?}");
    assert_eq!(weekdays.len(), 7, "sessions on every weekday");
    let mut ranked: Vec<u32> = weekdays.keys().copied().collect();
    ranked.sort_by(|a, b| weekdays[b].0.total_cmp(&weekdays[a].0));
    let top: std::collections::BTreeSet<u32> = ranked[..2].iter().copied().collect();
    assert_eq!(top, [2, 6].into(), "Tuesday and Saturday keep viewers best: {ranked:?}");
    // Kept apart from the rest: the planted weekdays' intervals start above the best other's rate.
    let best_other = weekdays.iter().filter(|(d, _)| !top.contains(d)).map(|(_, w)| w.0).fold(0.0, f64::max);
    for d in [2, 6] {
        assert!(weekdays[&d].1 > best_other - 0.02, "weekday {d}: {:?} vs {best_other}", weekdays[&d]);
    }
}
