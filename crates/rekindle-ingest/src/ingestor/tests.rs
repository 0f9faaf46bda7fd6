use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rekindle_core::message::Arrival;
use rekindle_core::{Message, WorkspaceId};
use rekindle_store::{DEFAULT_WORKSPACE, Inbox, InboxBatch, InboxSeq, Source, Store};
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

/// 40 clients whose batches overlap by half: every message is sent twice.
async fn overlapping_submits(ingestor: &Ingestor, ws: WorkspaceId) {
    let mut tasks = Vec::new();
    for client in 0..40 {
        let ingestor = ingestor.clone();
        tasks.push(tokio::spawn(async move {
            let msgs: Vec<Message> = (client * 10..client * 10 + 20).map(|i| track(i, i % 13)).collect();
            ingestor.submit(ws, Source::write_key("t"), msgs).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_overlapping_submits_commit_together_and_count_once() {
    for inbox in [true, false] {
        let (store, ws, _dir) = setup().await;
        let metrics = IngestMetrics::default();
        let config = IngestConfig { inbox, ..IngestConfig::default() };
        let ingestor = Ingestor::start(store.clone(), IdentityPolicy::default(), config, metrics.clone(), None);
        overlapping_submits(&ingestor, ws).await;
        assert!(ingestor.settled(Duration::from_secs(10)).await);
        let totals = store.totals(ws).await.unwrap();
        assert_eq!((totals.events, totals.people), (410, 13), "inbox: {inbox}");
        assert_eq!(metrics.events_stored.get(), 410);
        assert_eq!(metrics.events_duplicate.get(), 390);
        assert!(metrics.commits.get() < 40, "requests share appends: {}", metrics.commits.get());
        assert_eq!(metrics.apply_lag.get(), 0);
        if inbox {
            // Released behind the applier, once the store is synced.
            let inbox = store.inbox().unwrap();
            assert!(emptied(&*inbox).await, "applied messages are released from the inbox");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_crashed_run_acknowledged_is_applied_on_start() {
    let (store, ws, _dir) = setup().await;
    // Acknowledged into the inbox by a run that died before applying.
    let inbox = store.inbox().unwrap();
    let batch = |ids: std::ops::Range<usize>| InboxBatch {
        ws,
        source: Source::write_key("t"),
        messages: ids.map(|i| track(i, i % 5)).collect(),
    };
    inbox.push(&[batch(0..30), batch(20..50)]).await.unwrap();
    assert_eq!(store.totals(ws).await.unwrap().events, 0);

    let config = IngestConfig { max_apply_messages: 25, ..IngestConfig::default() };
    let ingestor = Ingestor::start(store.clone(), IdentityPolicy::default(), config, IngestMetrics::default(), None);
    assert!(ingestor.settled(Duration::from_secs(10)).await, "a read waits for the recovery");
    let totals = store.totals(ws).await.unwrap();
    assert_eq!((totals.events, totals.people), (50, 5));
    assert!(inbox.pending().await.unwrap().is_empty());

    // New messages after the recovery go the usual way.
    ingestor.submit(ws, Source::write_key("t"), (50..60).map(|i| track(i, 9)).collect()).await.unwrap();
    assert!(ingestor.settled(Duration::from_secs(10)).await);
    assert_eq!(store.totals(ws).await.unwrap().events, 60);
}

#[tokio::test]
async fn a_full_queue_says_overloaded_instead_of_waiting() {
    let (store, ws, _dir) = setup().await;
    let config = IngestConfig { queue_depth: 1, ..IngestConfig::default() };
    let ingestor = Ingestor::start(store, IdentityPolicy::default(), config, IngestMetrics::default(), None);
    // On a current-thread runtime the committer cannot run between these sends.
    let a = ingestor.submit(ws, Source::write_key("t"), vec![track(1, 1)]);
    let b = ingestor.submit(ws, Source::write_key("t"), vec![track(2, 1)]);
    let (a, b) = tokio::join!(a, b);
    assert!(a.is_ok());
    assert!(matches!(b, Err(IngestError::Overloaded)));
}

#[test]
fn apply_transactions_keep_to_their_time_budget_until_the_applier_falls_behind() {
    use super::journal::Budget;
    let mut budget = Budget::new(25);
    // Nothing measured yet: as much as is allowed.
    assert_eq!(budget.limit(100_000, 0), 100_000);
    budget.observe(1000, Duration::from_millis(10), 0);
    // 10 µs a message: 2,500 fit in 25 ms.
    assert_eq!(budget.limit(100_000, 0), 2500);
    assert_eq!(budget.limit(1000, 0), 1000, "never past max_apply_messages");
    // Slow messages: never so few that the commit's own cost dominates.
    let mut slow = Budget::new(25);
    slow.observe(100, Duration::from_millis(100), 0);
    assert_eq!(slow.limit(100_000, 0), 500);
    // Half the backlog full, or groups left behind by the last transaction: throughput first.
    assert_eq!(budget.limit(100_000, 128), 100_000);
    budget.observe(2500, Duration::from_millis(25), 3);
    assert_eq!(budget.limit(100_000, 0), 100_000);
    // Caught up again.
    budget.observe(100_000, Duration::from_millis(1000), 0);
    assert_eq!(budget.limit(100_000, 0), 2500);
    // Off.
    let mut off = Budget::new(0);
    off.observe(1000, Duration::from_millis(10), 0);
    assert_eq!(off.limit(100_000, 0), 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_budget_still_applies_everything_once() {
    let (store, ws, _dir) = setup().await;
    let config = IngestConfig { max_apply_millis: 1, ..IngestConfig::default() };
    let ingestor = Ingestor::start(store.clone(), IdentityPolicy::default(), config, IngestMetrics::default(), None);
    overlapping_submits(&ingestor, ws).await;
    assert!(ingestor.settled(Duration::from_secs(10)).await);
    let totals = store.totals(ws).await.unwrap();
    assert_eq!((totals.events, totals.people), (410, 13));
}

/// Without an inbox each workspace commits in a lane of its own: requests for three
/// workspaces sent at once are each stored once, in their own workspace, and a workspace's
/// requests are gathered into fewer appends than requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_workspace_commits_in_its_own_lane() {
    let (store, first, _dir) = setup().await;
    let mut workspaces = vec![first];
    for slug in ["lane-b", "lane-c"] {
        workspaces.push(store.create_workspace(slug, slug, "Asia/Shanghai").await.unwrap().id);
    }
    let metrics = IngestMetrics::default();
    let config = IngestConfig { inbox: false, ..IngestConfig::default() };
    let ingestor = Ingestor::start(store.clone(), IdentityPolicy::default(), config, metrics.clone(), None);
    let mut tasks = Vec::new();
    for client in 0..60 {
        let (ingestor, ws) = (ingestor.clone(), workspaces[client % 3]);
        tasks.push(tokio::spawn(async move {
            let msgs: Vec<Message> = (client * 10..client * 10 + 10).map(|i| track(i, i % 7)).collect();
            ingestor.submit(ws, Source::write_key("t"), msgs).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    for ws in &workspaces {
        assert_eq!(store.totals(*ws).await.unwrap().events, 200, "{ws:?}");
    }
    let commits = metrics.commits.get();
    assert!(commits < 60, "{commits} appends for 60 requests");
}

/// Whether the inbox empties within 10 s (releases come behind the applier).
async fn emptied(inbox: &dyn Inbox) -> bool {
    let empty = async {
        while !inbox.pending().await.unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), empty).await.is_ok()
}

/// The store's inbox, with releases held until the test lets them go.
struct HeldInbox {
    inner: Arc<dyn Inbox>,
    gate: tokio::sync::Semaphore,
    released: std::sync::Mutex<Vec<InboxSeq>>,
}

#[async_trait::async_trait]
impl Inbox for HeldInbox {
    async fn push(&self, batches: &[InboxBatch]) -> rekindle_store::Result<InboxSeq> {
        self.inner.push(batches).await
    }
    async fn pending(&self) -> rekindle_store::Result<Vec<(InboxSeq, InboxBatch)>> {
        self.inner.pending().await
    }
    async fn release(&self, upto: InboxSeq) -> rekindle_store::Result<()> {
        let _pass = self.gate.acquire().await.unwrap();
        self.released.lock().unwrap().push(upto);
        self.inner.release(upto).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_applier_goes_on_while_the_inbox_is_released_behind_it() {
    let (store, ws, _dir) = setup().await;
    let inbox = Arc::new(HeldInbox {
        inner: store.inbox().unwrap(),
        gate: tokio::sync::Semaphore::new(0),
        released: Default::default(),
    });
    let (queue, rx) = mpsc::channel(16);
    let appended = Arc::new(tokio::sync::watch::Sender::new(0));
    let applier = Applier {
        store: store.clone(),
        policy: Arc::new(IdentityPolicy::default()),
        metrics: IngestMetrics::default(),
        appended: appended.clone(),
        log: None,
    };
    let progress = Arc::new(Progress::new(true, applier.metrics.apply_lag.clone()));
    journal::start(inbox.clone(), applier, Arc::new(Mutex::new(rx)), &IngestConfig::default(), progress.clone());
    let ingestor = Ingestor { queue, progress, appended };
    // The start-up recovery (an empty inbox) is over: it releases in line, and is not tested here.
    assert!(ingestor.settled(Duration::from_secs(10)).await);

    // Each batch is applied while the release of the one before is still held.
    for round in 0..3 {
        let batch = (round * 10..round * 10 + 10).map(|i| track(i, i % 3)).collect();
        ingestor.submit(ws, Source::write_key("t"), batch).await.unwrap();
        assert!(ingestor.settled(Duration::from_secs(10)).await, "round {round} applied behind a held release");
    }
    assert_eq!(store.totals(ws).await.unwrap().events, 30);
    assert!(inbox.released.lock().unwrap().is_empty(), "nothing released yet");
    assert!(!inbox.inner.pending().await.unwrap().is_empty(), "the inbox keeps what is not released");

    // Let releases go: the last one covers everything applied.
    inbox.gate.add_permits(100);
    assert!(emptied(&*inbox.inner).await);
    let released = inbox.released.lock().unwrap().clone();
    assert!(released.len() <= 3 && released.windows(2).all(|w| w[0] < w[1]), "{released:?}");
}
