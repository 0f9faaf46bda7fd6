//! Issue 17: on a simulated store, whose win-back programme has a planted effect, `rekindle
//! report wakeup` recovers it. The simulator holds out a share of the silences and wins back a
//! known share (`lift`) of the people it messages; people wake on their own in both arms, so
//! the touched wake rate exceeds the untouched one by `lift × (1 − untouched rate)`
//! (docs/reports.md, "Checked against").

mod common;

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use common::{Simulated, path, rekindle};
use serde_json::Value;

fn local(text: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().naive_local()
}

/// Silences and wake-ups of one group.
#[derive(Debug, Default, PartialEq)]
struct Group {
    silent: u64,
    woke: u64,
}

#[test]
fn the_wakeup_report_recovers_the_planted_winback_effect() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sim = Simulated::generate(dir.path(), 180, 1);
    let (start_s, last_s) = (sim.start.to_string(), sim.last.to_string());
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(sim.generated.join("simulation.json")).unwrap()).unwrap();
    let winback = &settings["winback"];
    let lift = winback["lift"].as_f64().expect("the programme is on by default");
    let silent_days = winback["silent_days"].as_u64().unwrap();
    let window = winback["window_days"].as_i64().unwrap();

    // The store's silence threshold is the programme's for everyone: no cycles, only the floor.
    let config = dir.path().join("rekindle.toml");
    std::fs::write(&config, format!("[segments.lifecycle]\nsilent_cycles = 0.0\nmin_silent_days = {silent_days}\n"))
        .unwrap();
    let store = ["--data-dir", path(&data), "--config", path(&config)];
    sim.import(&store);

    // The whole simulated window, judged as it stood at its end; waking within the programme's
    // window.
    let window_s = window.to_string();
    let report = ["report", "wakeup", "--from", &start_s, "--to", &last_s, "--as-of", &last_s, "--days", &window_s];
    let csv = rekindle(&[&store[..], &report, &["--csv", "--lang", "en"]].concat());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("group,silent,woke,wake_rate"));
    let reported: BTreeMap<String, Group> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), Group { silent: f[1].parse().unwrap(), woke: f[2].parse().unwrap() })
        })
        .collect();

    // The truth: the programme's silences whose window had passed by the end of the last day
    // (`--as-of` a day means its last second), by whether the message went out.
    let as_of = sim.last.and_hms_opt(23, 59, 59).unwrap();
    let (mut touched, mut untouched) = (Group::default(), Group::default());
    let (mut touch_arm, mut won) = (0, 0);
    for line in std::fs::read_to_string(sim.generated.join("truth.jsonl")).unwrap().lines() {
        let person: Value = serde_json::from_str(line).unwrap();
        for s in person["winback"].as_array().unwrap() {
            let at = local(s["at"].as_str().unwrap());
            if at + Duration::days(window) > as_of {
                continue;
            }
            let woke = s["next_order_at"].as_str().is_some_and(|t| local(t) <= at + Duration::days(window));
            let group = if s["delivered_at"].is_string() { &mut touched } else { &mut untouched };
            group.silent += 1;
            group.woke += u64::from(woke);
            touch_arm += u64::from(s["arm"] == "touch");
            won += u64::from(s["won"] == true);
        }
    }
    // The message goes out 30 s after the silence and no simulated order falls in between:
    // every silence of the touch arm was touched, so the report's groups are the two arms.
    assert_eq!(touched.silent, touch_arm, "every silence of the touch arm was delivered");
    assert_eq!(reported["touched"], touched, "the report's touched silences are the programme's");
    assert_eq!(reported["untouched"], untouched, "the report's untouched silences are the programme's holdout");
    assert!(touched.silent > 2000 && untouched.silent > 500, "{touched:?} {untouched:?}");

    let l = rekindle_models::lift::lift((touched.silent, touched.woke), (untouched.silent, untouched.woke)).unwrap();
    // People wake on their own in both arms; the message wins back `lift` of the rest.
    let expected = lift * (1.0 - l.holdout_rate);
    println!(
        "touched {}/{} = {:.4}, untouched {}/{} = {:.4}; difference {:.4} [{:.4}, {:.4}], p {:.2e}; \
         planted {lift} × (1 − {:.4}) = {expected:.4}; {won} won back",
        touched.woke,
        touched.silent,
        l.treated_rate,
        untouched.woke,
        untouched.silent,
        l.holdout_rate,
        l.difference,
        l.ci_low,
        l.ci_high,
        l.p_value,
        l.holdout_rate,
    );
    assert!(l.ci_low <= expected && expected <= l.ci_high, "the 95% interval holds the planted difference");
    assert!(l.ci_low > 0.0, "and excludes no effect");
}
