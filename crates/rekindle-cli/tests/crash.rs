//! kill -9 at any moment loses nothing acknowledged: clients ingest concurrently while the
//! server is SIGKILLed again and again; after every restart each acknowledged messageId is
//! stored exactly once, including the ones clients sent again as retries.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rekindle_ingest::Ingestor;
use rekindle_store::{DEFAULT_WORKSPACE, EventQuery, Store};

const BIN: &str = env!("CARGO_BIN_EXE_rekindle");

fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--data-dir", dir.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
        .env("REKINDLE__API__ADMIN_TOKEN", "crash-test")
        .env("REKINDLE__LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rekindle starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(addr) = line.strip_prefix("Rekindle listening on http://") {
            break addr.to_string();
        }
    };
    (child, addr)
}

fn batch_body(client: usize, seq: usize) -> (Vec<String>, String) {
    let ids: Vec<String> = (0..50).map(|i| format!("c{client}-s{seq}-{i}")).collect();
    let batch: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({"type": "track", "userId": format!("u{}", (client * 7 + i) % 23),
            "event": "Live Watched", "messageId": id, "properties": {"seconds": 30}})
        })
        .collect();
    (ids, serde_json::json!({"batch": batch}).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_acknowledged_and_retries_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--data-dir", dir.path().to_str().unwrap(), "keys", "create", "crash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    // Batches each client has had acknowledged, resent in the next round as retries.
    let mut sent_before: HashMap<usize, Vec<usize>> = HashMap::new();
    let kill_after_ms = [700u64, 450, 900, 300, 600];
    rekindle_delivery::install_crypto_provider();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();

    for (round, wait) in kill_after_ms.iter().enumerate() {
        let (mut child, addr) = start(dir.path());
        let url = format!("http://{addr}/v1/batch");
        let mut clients = Vec::new();
        for client in 0..4 {
            let (http, url, key, acked) = (http.clone(), url.clone(), key.clone(), acked.clone());
            let retries = sent_before.get(&client).cloned().unwrap_or_default();
            clients.push(tokio::spawn(async move {
                let mut ok_seqs = Vec::new();
                let fresh = (round * 1000)..(round * 1000 + 1000);
                for seq in retries.into_iter().take(3).chain(fresh) {
                    let (ids, body) = batch_body(client, seq);
                    let r = http
                        .post(&url)
                        .basic_auth(&key, Some(""))
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status() == 200 => {
                            acked.lock().unwrap().extend(ids);
                            ok_seqs.push(seq);
                        }
                        // The server died under us: this batch is unacknowledged; stop.
                        _ => break,
                    }
                }
                ok_seqs
            }));
        }
        tokio::time::sleep(Duration::from_millis(*wait)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for (client, task) in clients.into_iter().enumerate() {
            let seqs = task.await.unwrap();
            sent_before.insert(client, seqs);
        }
    }

    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 1000, "the test must ingest a fair amount between kills, got {}", acked.len());
    let store: Arc<dyn Store> = Arc::new(rekindle_store_sqlite::SqliteStore::open(dir.path()).await.unwrap());
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    // What the last run acknowledged into its inbox and did not apply is applied on start.
    let ingestor = Ingestor::start(store.clone(), Default::default(), Default::default(), Default::default(), None);
    assert!(ingestor.settled(Duration::from_secs(30)).await);
    let events = store.events(ws, &EventQuery { limit: u32::MAX, ..Default::default() }).await.unwrap();
    let mut stored: HashMap<String, usize> = HashMap::new();
    for e in &events {
        *stored.entry(e.message_id.clone()).or_default() += 1;
    }
    let missing: Vec<&String> = acked.iter().filter(|id| !stored.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged messages lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(stored.values().all(|n| *n == 1), "a messageId is stored twice");
    eprintln!("{} acknowledged, {} stored, {} kills", acked.len(), events.len(), kill_after_ms.len());
}
