use std::io::Write;
use std::sync::Arc;

use rekindle_core::WorkspaceId;
use rekindle_server::config::Secret;
use rekindle_server::{App, Config};
use rekindle_store::{DEFAULT_WORKSPACE, EventQuery, Store, StoredEvent};
use serde_json::Value;

pub const ADMIN: &str = "test-admin-token";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub key: String,
    pub store: Arc<dyn Store>,
    pub ingestor: rekindle_ingest::Ingestor,
    pub ws: WorkspaceId,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The app with some configuration changed first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    spawn(change, rekindle_runtime::wall_clock()).await
}

/// The app with its clock held at `now` (RFC 3339): what it judges and schedules is as of then.
pub async fn spawn_app_at(now: &str) -> TestApp {
    spawn_app_at_with(now, |_| {}).await
}

/// Both: the clock held at `now`, some configuration changed first.
pub async fn spawn_app_at_with(now: &str, change: impl FnOnce(&mut Config)) -> TestApp {
    let now = chrono::DateTime::parse_from_rfc3339(now).expect("an RFC 3339 time").to_utc();
    spawn(change, std::sync::Arc::new(move || now)).await
}

async fn spawn(change: impl FnOnce(&mut Config), clock: rekindle_runtime::Clock) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        api: rekindle_server::config::ApiConfig { admin_token: Some(Secret::new(ADMIN)) },
        ..Config::default()
    };
    change(&mut config);
    let store = rekindle_store_sqlite::SqliteStore::open(&config.data_dir).await.expect("the store opens");
    let app = App::with_clock(config, std::sync::Arc::new(store), clock).await.expect("app builds");
    let base = format!("http://{}", app.local_addr());
    let store = app.state.store.clone();
    let ingestor = app.state.ingestor.clone();
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let (key, _) = rekindle_ingest::write_keys::create(&*store, ws, "test").await.unwrap().unwrap();
    tokio::spawn(app.run_until(std::future::pending()));
    rekindle_delivery::install_crypto_provider();
    TestApp { base, client: reqwest::Client::new(), key, store, ingestor, ws, _dir: dir }
}

impl TestApp {
    /// POST JSON to an ingestion endpoint with the write key.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.post_raw(path, serde_json::to_vec(body).unwrap(), "application/json", None).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        encoding: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.key, Some(""))
            .header("content-type", content_type)
            .body(body);
        if let Some(e) = encoding {
            req = req.header("content-encoding", e);
        }
        req.send().await.unwrap()
    }

    pub async fn api(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).bearer_auth(ADMIN).send().await.unwrap()
    }

    /// A REST call with a JSON body, as the admin.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> reqwest::Response {
        self.client.request(method, format!("{}{path}", self.base)).bearer_auth(ADMIN).json(body).send().await.unwrap()
    }

    pub async fn api_json(&self, path: &str) -> Value {
        let r = self.api(path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Every stored event, once everything acknowledged is applied.
    pub async fn events(&self) -> Vec<StoredEvent> {
        assert!(self.ingestor.settled(std::time::Duration::from_secs(10)).await);
        self.store.events(self.ws, &EventQuery { limit: 100_000, ..Default::default() }).await.unwrap()
    }
}

/// An API token of a new operator with `role` in the default workspace.
pub async fn token_for(app: &TestApp, role: rekindle_core::access::Role) -> String {
    let email = format!("{role}@shop.cn");
    let (user, _) =
        rekindle_server::auth::add_operator(&*app.store, app.ws, &email, &email, "correct horse battery", role)
            .await
            .unwrap();
    rekindle_server::auth::create_api_token(&*app.store, user.id, "test").await.unwrap().0
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A clock the test moves: set it, and the app judges and schedules as of then.
#[derive(Clone)]
pub struct TestClock(Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>);

impl TestClock {
    pub fn set(&self, now: &str) {
        *self.0.lock().unwrap() = chrono::DateTime::parse_from_rfc3339(now).expect("an RFC 3339 time").to_utc();
    }
}

/// The app with a clock starting at `now` that the test moves, some configuration changed first.
pub async fn spawn_app_clocked(now: &str, change: impl FnOnce(&mut Config)) -> (TestApp, TestClock) {
    let start = chrono::DateTime::parse_from_rfc3339(now).expect("an RFC 3339 time").to_utc();
    let clock = TestClock(Arc::new(std::sync::Mutex::new(start)));
    let held = clock.clone();
    let app = spawn(change, Arc::new(move || *held.0.lock().unwrap())).await;
    (app, clock)
}
