//! The published CDNOW results, reproduced end to end: the raw transactions of Fader &
//! Hardie's 1/10th sample imported as `Order Completed` events, then `rekindle score --as-of
//! 1997-09-30`, which summarises each buyer from the event log in the store's calendar.
//! Published (Fader, Hardie & Lee 2005): r = 0.243, α = 4.414 (weeks), a = 0.793, b = 2.426.

use std::fmt::Write;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rekindle");
const SAMPLE: &str = include_str!("../../rekindle-models/tests/fixtures/CDNOW_sample.txt");

/// One `Order Completed` per transaction line, placed at 12:00 store time (Asia/Shanghai) on
/// the line's date.
fn events() -> String {
    let mut out = String::new();
    for (n, line) in SAMPLE.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (y, m, d) = (&f[2][..4], &f[2][4..6], &f[2][6..]);
        writeln!(
            out,
            r#"{{"type":"track","userId":"cdnow-{}","event":"Order Completed","timestamp":"{y}-{m}-{d}T12:00:00+08:00","messageId":"cdnow-{n}","properties":{{"order_id":"{n}","revenue":{}}}}}"#,
            f[0], f[4]
        )
        .unwrap();
    }
    out
}

/// The number after `label` in `text`.
fn figure(text: &str, label: &str) -> f64 {
    let at = text.find(label).unwrap_or_else(|| panic!("{label} in {text}")) + label.len();
    text[at..].split_whitespace().next().unwrap().trim_start_matches('(').parse().unwrap()
}

#[test]
fn score_as_of_reproduces_the_published_bgnbd_fit_from_raw_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cdnow.jsonl");
    std::fs::write(&file, events()).unwrap();
    let data = dir.path().join("data");
    let import =
        Command::new(BIN).arg("--data-dir").arg(&data).args(["import", "--quiet"]).arg(&file).output().unwrap();
    assert!(import.status.success(), "{import:?}");

    let out = Command::new(BIN).arg("--data-dir").arg(&data).args(["score", "--as-of", "1997-09-30"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    println!("{text}");
    let bgnbd = text.lines().find(|l| l.starts_with("BG/NBD")).expect("a BG/NBD line");
    assert!(bgnbd.contains("(2357 buyers, 946 repeat"), "{bgnbd}");
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let fitted = [figure(bgnbd, " r "), figure(bgnbd, "; "), figure(bgnbd, " a "), figure(bgnbd, " b ")];
    assert_eq!(fitted.map(round), [0.243, 4.414, 0.793, 2.426], "{bgnbd}");
}
