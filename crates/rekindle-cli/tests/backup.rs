//! `rekindle backup` and `rekindle restore`, a round trip on each backend: what was imported
//! before the backup is what the restored store shows, and neither command overwrites.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::Database;

const BIN: &str = env!("CARGO_BIN_EXE_rekindle");

fn rekindle(store: &[&str], args: &[&str]) -> Output {
    Command::new(BIN).args(store).args(args).output().expect("rekindle runs")
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Two people, three events and an order, imported into the store `store` names.
fn fill(store: &[&str], dir: &Path) {
    let jsonl = dir.join("events.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"type":"identify","userId":"42","traits":{"phone":"138 1234 5678","nickname":"小李"},"timestamp":"2026-05-01T20:00:00+08:00"}"#,
            "\n",
            r#"{"type":"track","userId":"42","event":"Order Completed","properties":{"order_id":"o-1","revenue":"59.90"},"timestamp":"2026-05-01T20:10:00+08:00"}"#,
            "\n",
            r#"{"type":"track","anonymousId":"a-7","event":"Live Watched","properties":{"seconds":60},"timestamp":"2026-05-01T20:20:00+08:00"}"#,
            "\n",
        ),
    )
    .unwrap();
    ok(rekindle(store, &["import", "--quiet", jsonl.to_str().unwrap()]));
}

fn person(store: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(rekindle(store, &["people", "show", "phone:13812345678", "--json"]))).unwrap()
}

fn round_trip(source: &[&str], target: &[&str], dir: &Path) {
    fill(source, dir);
    let backup = dir.join("backup");
    let b = backup.to_str().unwrap();
    ok(rekindle(source, &["backup", b]));
    let again = rekindle(source, &["backup", b]);
    assert!(!again.status.success(), "a second backup into the same directory is refused");
    ok(rekindle(target, &["restore", b]));
    let (before, after) = (person(source), person(target));
    assert_eq!(after["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(after, before);
    let over = rekindle(target, &["restore", b]);
    assert!(!over.status.success(), "restoring over a store is refused");
}

#[test]
fn sqlite_backup_restores_into_an_empty_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let (a, c) = (dir.path().join("a"), dir.path().join("c"));
    round_trip(&["--data-dir", a.to_str().unwrap()], &["--data-dir", c.to_str().unwrap()], dir.path());
    assert!(["rekindle.db", "runs.db", "inbox.db"].iter().all(|f| c.join(f).exists()));
}

#[test]
fn postgres_backup_restores_into_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let from = Database::fresh(&format!("rk_backup_{}_from", std::process::id()));
    let into = Database::fresh(&format!("rk_backup_{}_into", std::process::id()));
    round_trip(&["--database-url", &from.url], &["--database-url", &into.url], dir.path());
}
