//! What the tests that run the `rekindle` binary share: simulated stores, PostgreSQL databases.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, NaiveDate};

pub const BIN: &str = env!("CARGO_BIN_EXE_rekindle");

/// Run `rekindle` and return what it printed; a failure fails the test with its stderr.
pub fn rekindle(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A simulated store's files: `days` from 5 January 2026, 5,000 people, drawn with `seed`.
pub struct Simulated {
    pub generated: PathBuf,
    pub start: NaiveDate,
    pub last: NaiveDate,
}

impl Simulated {
    pub fn generate(dir: &Path, days: i64, seed: u64) -> Self {
        let generated = dir.join("generated");
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let last = start + Duration::days(days - 1);
        let (start_s, days_s, seed_s) = (start.to_string(), days.to_string(), seed.to_string());
        let out = path(&generated);
        rekindle(&[
            "generate", "--people", "5000", "--days", &days_s, "--seed", &seed_s, "--start", &start_s, "--out", out,
        ]);
        Self { generated, start, last }
    }

    /// Import the generated events, products and sessions into the store `store` names
    /// (`--data-dir …`, and `--config …` if any).
    pub fn import(&self, store: &[&str]) {
        let files = ["events.jsonl", "products.jsonl", "sessions.jsonl"].map(|f| self.generated.join(f));
        rekindle(&[store, &["import", "--quiet"], &files.each_ref().map(|f| path(f))[..]].concat());
    }
}

/// The server of `REKINDLE_TEST_DATABASE_URL` (as the store tests use it), with another
/// database named.
pub fn database(name: &str) -> String {
    let url = std::env::var("REKINDLE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let (base, query) = url.split_once('?').map_or((url.as_str(), ""), |(b, q)| (b, q));
    let server = &base[..base.rfind('/').expect("a database URL names a database")];
    if query.is_empty() { format!("{server}/{name}") } else { format!("{server}/{name}?{query}") }
}

pub fn psql(sql: &str) {
    let out = Command::new("psql").arg(database("postgres")).args(["-v", "ON_ERROR_STOP=1", "-qc", sql]).output();
    let out = out.expect("psql runs");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A database of the test's own on the test server, created empty and dropped when the test
/// ends, passed or failed (its connections ended first).
pub struct Database {
    pub url: String,
    name: String,
}

impl Database {
    pub fn fresh(name: &str) -> Self {
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        psql(&format!("CREATE DATABASE {name}"));
        Self { url: database(name), name: name.to_owned() }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // Never panic here: a panic while a failed test unwinds would abort the run.
        let dropped = Command::new("psql")
            .arg(database("postgres"))
            .args(["-qc", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .output();
        if !dropped.is_ok_and(|o| o.status.success()) {
            eprintln!("left test database {} behind", self.name);
        }
    }
}

/// The rows `sql` returns in `database_url`, each row's columns joined by `|`.
pub fn psql_rows(database_url: &str, sql: &str) -> Vec<String> {
    let out = Command::new("psql").arg(database_url).args(["-v", "ON_ERROR_STOP=1", "-Atqc", sql]).output();
    let out = out.expect("psql runs");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}
