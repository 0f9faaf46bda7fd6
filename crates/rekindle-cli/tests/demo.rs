//! `rekindle generate` writes a deterministic store; `rekindle demo` loads one and serves it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_rekindle");

#[test]
fn generate_writes_the_same_files_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    for run in ["a", "b"] {
        let out = Command::new(BIN)
            .args(["generate", "--people", "300", "--days", "40", "--seed", "5", "--start", "2026-01-05", "--out"])
            .arg(dir.path().join(run))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    for file in ["events.jsonl", "truth.jsonl", "simulation.json", "products.jsonl", "sessions.jsonl"] {
        let a = std::fs::read(dir.path().join("a").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(file)).unwrap();
        assert!(!a.is_empty(), "{file} is written");
        assert_eq!(a, b, "{file} is byte-identical");
    }
}

#[test]
fn a_generated_store_imports_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("store");
    let generated =
        Command::new(BIN).args(["generate", "--people", "200", "--days", "30", "--out"]).arg(&out).output().unwrap();
    assert!(generated.status.success());
    let files = ["events.jsonl", "products.jsonl", "sessions.jsonl"].map(|f| out.join(f));
    let import = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["import", "--quiet"])
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&import.stdout).to_string();
    assert!(import.status.success(), "{text}{}", String::from_utf8_lossy(&import.stderr));
    assert!(text.contains("24 products"), "{text}");
    assert!(text.contains("live sessions; 0 lines refused"), "{text}");
}

#[tokio::test]
async fn demo_loads_a_store_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["demo", "--people", "200", "--days", "30", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = String::new();
    let mut token = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(a) = line.strip_prefix("Rekindle demo is serving http://") {
            addr = a.to_string();
        }
        if let Some(rest) = line.split("Bearer ").nth(1) {
            token = rest.split('\'').next().unwrap().to_string();
            break;
        }
    }
    assert!(!addr.is_empty() && !token.is_empty(), "the demo prints its address and token");
    let truth = std::fs::read_to_string(dir.path().join("demo-truth.jsonl")).unwrap();
    assert_eq!(truth.lines().count(), 200, "one truth line per person");
    // A simulated member, looked up by the id the simulator gave them.
    let member = truth
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|t| t["orders"].as_u64() > Some(0))
        .expect("someone ordered");
    let id = member["id"].as_str().unwrap();
    rekindle_delivery::install_crypto_provider();
    let response = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/people/user_id:{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let person: serde_json::Value = response.json().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200, "{person}");
    assert!(person["identities"].as_array().unwrap().len() >= 3, "member id, phone, openid at least: {person}");
}
