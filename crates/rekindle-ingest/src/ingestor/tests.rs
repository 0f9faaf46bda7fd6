use std::sync::Arc;

use chrono::Utc;
use rekindle_core::message::Arrival;
use rekindle_core::{Message, WorkspaceId};
use rekindle_store::{DEFAULT_WORKSPACE, Source, Store};
use rekindle_store_sqlite::SqliteStore;

use super::*;

fn track(id: usize, user: usize) -> Message {
    let json =
        serde_json::json!({"userId": format!("u{user}"), "event": "Live Watched", "messageId": format!("m{id}")});
    Message::parse(&json.to_string(), Some(rekindle_core::MessageKind::Track), &Arrival::live(Utc::now())).unwrap()
}

async fn setup() -> (Arc<dyn Store>, WorkspaceId, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    (store, ws, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_overlapping_submits_commit_together_and_count_once() {
    let (store, ws, _dir) = setup().await;
    let metrics = IngestMetrics::default();
    let ingestor = Ingestor::start(store.clone(), IdentityPolicy::default(), IngestConfig::default(), metrics.clone());
    let mut tasks = Vec::new();
    for client in 0..40 {
        let ingestor = ingestor.clone();
        tasks.push(tokio::spawn(async move {
            // Clients overlap by half: every message is sent by two clients.
            let msgs: Vec<Message> = (client * 10..client * 10 + 20).map(|i| track(i, i % 13)).collect();
            ingestor.submit(ws, Source::write_key("t"), msgs).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let totals = store.totals(ws).await.unwrap();
    assert_eq!(totals.events, 410);
    assert_eq!(totals.people, 13);
    assert_eq!(metrics.events_stored.get(), 410);
    assert_eq!(metrics.events_duplicate.get(), 390);
    assert!(metrics.commits.get() < 40, "requests share commits: {}", metrics.commits.get());
}

#[tokio::test]
async fn a_full_queue_says_overloaded_instead_of_waiting() {
    let (store, ws, _dir) = setup().await;
    let config = IngestConfig { queue_depth: 1, ..IngestConfig::default() };
    let ingestor = Ingestor::start(store, IdentityPolicy::default(), config, IngestMetrics::default());
    // On a current-thread runtime the committer cannot run between these sends.
    let a = ingestor.submit(ws, Source::write_key("t"), vec![track(1, 1)]);
    let b = ingestor.submit(ws, Source::write_key("t"), vec![track(2, 1)]);
    let (a, b) = tokio::join!(a, b);
    assert!(a.is_ok());
    assert!(matches!(b, Err(IngestError::Overloaded)));
}
