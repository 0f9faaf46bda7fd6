//! `rekindle report` over the full CDNOW transaction log (23,570 customers, 69,659
//! transactions; `lifetimes/datasets/CDNOW_master.txt` from PyPI), imported as events, against
//! an independent computation in plain Python (`scripts/reference/cdnow_cohorts.py`), cell by
//! cell: the monthly cohort matrix and the 7- and 30-day repurchase rates of new buyers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rekindle");
const MASTER: &[u8] = include_bytes!("fixtures/CDNOW_master.txt.gz");

fn rekindle(data: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN).arg("--data-dir").arg(data).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// One `Order Completed` per transaction, at 12:00 store time on its date.
fn events(raw: &str) -> String {
    let mut out = String::new();
    for (n, line) in raw.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[0] == "customer_id" {
            continue;
        }
        let (y, m, d) = (&f[1][..4], &f[1][4..6], &f[1][6..]);
        writeln!(
            out,
            r#"{{"type":"track","userId":"c{}","event":"Order Completed","timestamp":"{y}-{m}-{d}T12:00:00+08:00","messageId":"t{n}","properties":{{"order_id":"t{n}","revenue":{}}}}}"#,
            f[0], f[3]
        )
        .unwrap();
    }
    out
}

#[test]
fn cohorts_and_repurchase_match_an_independent_computation() {
    let mut raw = String::new();
    flate2::read::GzDecoder::new(MASTER).read_to_string(&mut raw).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (master, file, data) =
        (dir.path().join("CDNOW_master.txt"), dir.path().join("cdnow.jsonl"), dir.path().join("data"));
    std::fs::write(&master, &raw).unwrap();
    std::fs::write(&file, events(&raw)).unwrap();
    rekindle(&data, &["import", "--quiet", file.to_str().unwrap()]);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/reference/cdnow_cohorts.py");
    let reference = Command::new("python3").arg(script).arg(&master).arg("1998-06-30").output().expect("python3 runs");
    assert!(reference.status.success(), "{}", String::from_utf8_lossy(&reference.stderr));
    let reference = String::from_utf8(reference.stdout).unwrap();
    let mut expected_cells: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    let mut expected_repurchase: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for line in reference.lines() {
        let f: Vec<&str> = line.split(',').collect();
        match f[0] {
            "cohort" => {
                expected_cells.insert((f[1].into(), f[2].into()), (f[3].into(), f[4].into()));
            }
            _ => {
                expected_repurchase.insert(f[1].into(), (f[2].into(), f[3].into(), f[4].into()));
            }
        }
    }
    assert_eq!(expected_cells.len(), 3 * 18 - 3, "Jan–Mar 1997 cohorts to June 1998");

    let window = ["--from", "1997-01-01", "--to", "1998-06-30", "--as-of", "1998-06-30", "--grain", "month"];
    let csv = rekindle(&data, &[&["report", "cohorts", "--csv", "--lang", "en"][..], &window].concat());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("cohort,buyers,period,ordered,ordered_rate,active,active_rate,revenue_fen,ltv_fen"));
    let mut cells: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        cells.insert((f[0].into(), f[2].into()), (f[1].into(), f[3].into()));
    }
    assert_eq!(cells, expected_cells, "the monthly cohort matrix, cell by cell");
    let buyers: u64 = cells.iter().filter(|((_, k), _)| k == "0").map(|(_, (b, _))| b.parse::<u64>().unwrap()).sum();
    assert_eq!(buyers, 23_570);

    let csv = rekindle(&data, &[&["report", "repurchase", "--csv", "--lang", "en"][..], &window].concat());
    let mut repurchase: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[1] != "0" && f[0] != "total" {
            repurchase.insert(f[0].into(), (f[1].into(), f[3].into(), f[6].into()));
        }
    }
    assert_eq!(repurchase, expected_repurchase, "7- and 30-day repurchase of new buyers, by month");
}
