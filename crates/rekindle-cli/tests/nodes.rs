//! Several nodes on one PostgreSQL (docs/deploy.md, "Several nodes"): three `rekindle serve`
//! share the ingestion while journeys run; the node leading the workspace is killed with kill -9
//! mid-run and started again. Every acknowledged event is stored once, nobody enters the
//! once-only journey twice or gets more messages than the cap allows, and another node takes
//! over the refresh while the leader is dead.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{BIN, Database, psql_rows, rekindle};
use rekindle_delivery::standin::{Provider, StandIn};
use serde_json::{Value, json};

const ADMIN: &str = "nodes-test-admin";
/// People with a WeCom friendship, who can be messaged.
const PEOPLE: usize = 30;
/// Batches each client sends, one client per node.
const BATCHES: usize = 30;

struct Node {
    child: Child,
    base: String,
}

/// A failing test must not leave its nodes running.
impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str, config: &std::path::Path) -> Node {
    let mut child = Command::new(BIN)
        .args(["--database-url", url, "--config", config.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
        .env("REKINDLE__API__ADMIN_TOKEN", ADMIN)
        .env("REKINDLE__LOG__FILTER", "warn")
        .env("REKINDLE__SEGMENTS__REFRESH_SECONDS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rekindle starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the node printed its address").unwrap();
        if let Some(addr) = line.strip_prefix("Rekindle listening on http://") {
            break addr.to_string();
        }
    };
    // Whatever else it prints is read, so a full pipe never stops it.
    std::thread::spawn(move || lines.for_each(drop));
    Node { child, base: format!("http://{addr}") }
}

/// The configuration every node reads: the WeCom stand-in, a tick of 200 ms, at most one
/// message a person in any seven days, and no quiet hours (the test runs at any hour).
fn config(dir: &std::path::Path, wecom: &StandIn) -> std::path::PathBuf {
    let mut channels = serde_json::to_value(wecom.config()).unwrap();
    strip_nulls(&mut channels);
    let config = json!({
        "journeys": {"tick_ms": 200, "caps": {
            "rolling": [{"days": 7, "max": 1}],
            "quiet_hours": {"wecom": {"from": "00:00", "until": "00:00"}},
        }},
        "channels": channels,
    });
    let file = dir.join("rekindle.toml");
    std::fs::write(&file, toml::to_string(&config).unwrap()).unwrap();
    file
}

/// TOML has no null: an unset option is left out.
fn strip_nulls(v: &mut Value) {
    if let Value::Object(map) = v {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    }
}

async fn admin(http: &reqwest::Client, node: &Node, method: reqwest::Method, path: &str, body: Value) -> Value {
    let r = http.request(method, format!("{}{path}", node.base)).bearer_auth(ADMIN).json(&body).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn journey(http: &reqwest::Client, node: &Node, name: &str, definition: Value) -> i64 {
    let created =
        admin(http, node, reqwest::Method::POST, "/api/v1/journeys", json!({"name": name, "definition": definition}))
            .await;
    let id = created["id"].as_i64().unwrap();
    admin(http, node, reqwest::Method::POST, &format!("/api/v1/journeys/{id}/publish"), json!({})).await;
    id
}

/// The pid of the node leading the default workspace, from `leader_terms` (`host:pid`).
fn leader(url: &str) -> (i64, u32) {
    let row = psql_rows(url, "SELECT term, node FROM leader_terms").pop().expect("a node leads");
    let (term, node) = row.split_once('|').unwrap();
    (term.parse().unwrap(), node.rsplit(':').next().unwrap().parse().unwrap())
}

/// One client's batches, each sent to its node and, if that node does not answer, to the
/// next one: the same messageIds again, as a client retrying would.
async fn client(http: reqwest::Client, key: String, bases: Arc<Mutex<Vec<String>>>, me: usize) -> BTreeSet<String> {
    let mut acked = BTreeSet::new();
    let mut seed = 0x9e37_79b9_u64.wrapping_mul(me as u64 + 1);
    for b in 0..BATCHES {
        let mut ids = Vec::new();
        let batch: Vec<Value> = (0..20)
            .map(|i| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let person = (seed >> 33) as usize % PEOPLE;
                let id = format!("n-{me}-{b}-{i}");
                ids.push(id.clone());
                if i % 2 == 0 {
                    json!({"type": "track", "event": "Order Completed", "userId": format!("u{person}"),
                           "messageId": id, "properties": {"order_id": id, "revenue": 19.9}})
                } else {
                    json!({"type": "track", "event": "Live Watched", "userId": format!("u{person}"),
                           "messageId": id, "properties": {"seconds": 60}})
                }
            })
            .collect();
        let body = json!({"batch": batch});
        for attempt in 0.. {
            assert!(attempt < 50, "no node took batch {b} of client {me}");
            let base = {
                let bases = bases.lock().unwrap();
                bases[(me + attempt) % bases.len()].clone()
            };
            let sent = http.post(format!("{base}/v1/batch")).basic_auth(&key, Some("")).json(&body).send().await;
            if matches!(&sent, Ok(r) if r.status() == 200) {
                acked.extend(ids);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_the_work_and_replace_a_killed_leader() {
    let db = Database::fresh(&format!("rk_nodes_{}", std::process::id()));
    let url = db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let key = rekindle(&["--database-url", &url, "keys", "create", "nodes"]).trim().to_string();
    rekindle_delivery::install_crypto_provider();
    let wecom = StandIn::start(Provider::Wecom).await;
    let config = config(dir.path(), &wecom);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // The first node alone: the journeys, and everyone's WeCom friendship.
    let mut nodes = vec![start(&url, &config)];
    let template = json!({"name": "关怀", "channel": "wecom", "text": "{{nickname|亲}}，最近还好吗？"});
    admin(&http, &nodes[0], reqwest::Method::PUT, "/api/v1/message-templates/关怀", template).await;
    let send = json!([{"id": "care", "type": "send", "channel": "wecom", "template": "关怀"}]);
    let first_order = journey(
        &http,
        &nodes[0],
        "首单关怀",
        json!({"trigger": {"type": "event", "event": "Order Completed"}, "steps": send}),
    )
    .await;
    let watched =
        json!({"trigger": {"type": "event", "event": "Live Watched"}, "reentry": {"type": "always"}, "steps": send});
    journey(&http, &nodes[0], "看播回访", watched).await;
    let mut setup = Vec::new();
    for p in 0..PEOPLE {
        setup.push(json!({"type": "identify", "userId": format!("u{p}"), "messageId": format!("id-{p}"),
                          "traits": {"wecom_external_userid": format!("wm-{p}")}}));
        setup.push(json!({"type": "track", "event": "Contact Added", "userId": format!("u{p}"),
                          "messageId": format!("contact-{p}"), "properties": {"channel": "wecom", "staff_id": "staff-1"}}));
    }
    let r = http.post(format!("{}/v1/batch", nodes[0].base)).basic_auth(&key, Some("")).json(&json!({"batch": setup}));
    assert_eq!(r.send().await.unwrap().status(), 200);
    nodes.push(start(&url, &config));
    nodes.push(start(&url, &config));
    let bases = Arc::new(Mutex::new(nodes.iter().map(|n| n.base.clone()).collect::<Vec<_>>()));

    // Three clients, one a node, while the leader is killed and started again.
    let clients: Vec<_> = (0..3).map(|me| tokio::spawn(client(http.clone(), key.clone(), bases.clone(), me))).collect();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (term, pid) = leader(&url);
    let killed = nodes.iter().position(|n| n.child.id() == pid).expect("the leader is one of the three");
    nodes[killed].child.kill().unwrap(); // SIGKILL
    nodes[killed].child.wait().unwrap();
    let killed_at = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nodes[killed] = start(&url, &config);
    bases.lock().unwrap()[killed] = nodes[killed].base.clone();
    let mut acked = BTreeSet::new();
    for c in clients {
        acked.extend(c.await.unwrap());
    }
    assert_eq!(acked.len(), 3 * BATCHES * 20, "every batch was acknowledged by some node");

    // Another node took over while the leader was dead, and it went on refreshing: people who
    // first order now are staged, recorded by the new leader.
    let (new_term, new_pid) = leader(&url);
    assert!(new_term > term && new_pid != pid, "term {term} of {pid} → {new_term} of {new_pid}");
    let late: Vec<Value> = (0..5)
        .map(|p| json!({"type": "track", "event": "Order Completed", "userId": format!("late-{p}"),
                        "messageId": format!("late-{p}"), "properties": {"order_id": format!("late-{p}"), "revenue": 9.9}}))
        .collect();
    let r = http.post(format!("{}/v1/batch", nodes[killed].base)).basic_auth(&key, Some(""));
    assert_eq!(r.json(&json!({"batch": late})).send().await.unwrap().status(), 200);
    let recorded_since = format!("SELECT count(*) FROM stage_changes WHERE at > '{}'", killed_at.to_rfc3339());
    let orderers = "SELECT count(DISTINCT person_id) FROM events WHERE name = 'Order Completed'";
    let enrolled = format!("SELECT count(*) FROM enrollments WHERE journey_id = {first_order}");
    // A message the killed leader had claimed stays `sending` until its lease ends, then is
    // `uncertain`, never sent again (docs/journeys.md, "Send once"): it may or may not have
    // reached the provider. Its person counts as messaged, once.
    let stranded = "SELECT recipient FROM outbox WHERE channel = 'wecom' AND state IN ('sending', 'uncertain')";
    let reached = || {
        let mut people: BTreeSet<String> = wecom.delivered().into_iter().map(|d| d.to).collect();
        people.extend(psql_rows(&url, stranded));
        people.len()
    };
    let (mut settled, mut last) = (0, (0, 0, 0, 0));
    for _ in 0..150 {
        let changes: i64 = psql_rows(&url, &recorded_since)[0].parse().unwrap();
        let want: i64 = psql_rows(&url, orderers)[0].parse().unwrap();
        let have: i64 = psql_rows(&url, &enrolled)[0].parse().unwrap();
        let messaged = reached();
        last = (changes, want, have, messaged);
        // Everyone orders in 1,800 events over 30 people; five more order late.
        if changes > 0 && have == want && want == PEOPLE as i64 + 5 && messaged >= PEOPLE {
            settled += 1;
            if settled == 3 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (changes, want, have, messaged) = last;
    assert_eq!(
        settled,
        3,
        "the refresh and the journeys caught up after the leader died: {changes} stage changes since, \
         {have} of {want} buyers enrolled, {messaged} people messaged; outbox by state: {:?}",
        psql_rows(&url, "SELECT state || ' ' || count(*) FROM outbox GROUP BY state")
    );

    // Every acknowledged event once.
    let mut stored: HashMap<String, usize> = HashMap::new();
    for id in psql_rows(&url, "SELECT message_id FROM events WHERE message_id LIKE 'n-%'") {
        *stored.entry(id).or_default() += 1;
    }
    let missing: Vec<&String> = acked.iter().filter(|id| !stored.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(stored.values().all(|n| *n == 1), "an event is stored twice");
    // Nobody entered the once-only journey twice.
    let twice = psql_rows(
        &url,
        &format!("SELECT person_id FROM enrollments WHERE journey_id = {first_order} GROUP BY 1 HAVING count(*) > 1"),
    );
    assert!(twice.is_empty(), "enrolled twice: {twice:?}");
    // At most one message a person, the cap, and every reachable person got theirs.
    let mut messages: BTreeMap<String, usize> = BTreeMap::new();
    for d in wecom.delivered() {
        *messages.entry(d.to).or_default() += 1;
    }
    assert!(messages.values().all(|n| *n == 1), "a person got more than the cap allows: {messages:?}");
    let stranded = psql_rows(&url, stranded);
    assert!(stranded.iter().all(|to| !messages.contains_key(to)), "a person had a second message in flight");
    assert_eq!(
        messages.len() + stranded.len(),
        PEOPLE,
        "every reachable person was messaged once, or was in flight when the leader was killed: \
         {messages:?}, in flight {stranded:?}"
    );

    drop(nodes);
}

/// The engine of a node that does not lead judges the same audience from the same log and
/// records nothing; once the leader's node is gone it leads, takes the recorded memberships as
/// its basis (recording no change twice) and records what changes next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_following_engine_judges_alike_and_records_only_once_it_leads() {
    use rekindle_core::identity::IdentityPolicy;
    use rekindle_core::message::{Arrival, Message};
    use rekindle_engine::{Engine, Judging};
    use rekindle_store::prelude::*;
    use rekindle_store_postgres::PostgresStore;

    let db = Database::fresh(&format!("rk_follow_{}", std::process::id()));
    let url = db.url.clone();
    let now = chrono::Utc::now();
    let clock: rekindle_engine::Clock = Arc::new(move || now);
    let node = |store: Arc<dyn Store>| Engine::new(store, Judging::default(), clock.clone(), Duration::ZERO);
    let a_store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.unwrap());
    let b_store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.unwrap());
    let ws = a_store.workspace_by_slug(rekindle_store::DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let (a, b) = (node(a_store.clone()), node(b_store.clone()));
    let orders = |who: &str| -> Vec<Message> {
        (0..3)
            .map(|i| {
                let json = json!({"type": "track", "event": "Order Completed", "userId": who,
                                  "messageId": format!("{who}-{i}"), "properties": {"order_id": format!("{who}-{i}"), "revenue": 30}});
                Message::parse(&json.to_string(), None, &Arrival::live(now)).unwrap()
            })
            .collect()
    };
    let source = rekindle_store::Source::write_key("test");
    let policy = IdentityPolicy::default();
    for who in ["u1", "u2", "u3"] {
        a_store.append(ws, orders(who), &source, &policy).await.unwrap();
    }
    assert!(a.lead(ws).await.unwrap().is_some(), "the first engine to ask leads");
    let (led, by_a) = a.refresh(ws).await.unwrap();
    assert!(by_a.recorded.stage_changes >= 3, "the leader records: {by_a:?}");
    let stages_recorded = a_store.stage_changes(ws, None, 100).await.unwrap().len();
    let (followed, by_b) = b.refresh(ws).await.unwrap();
    assert_eq!(by_b.recorded, Default::default(), "the follower records nothing");
    assert_eq!(b_store.stage_changes(ws, None, 100).await.unwrap().len(), stages_recorded);
    let judged = |aud: &rekindle_engine::Audience| -> Vec<_> {
        aud.members.iter().map(|m| (m.person, m.stage, m.segments.clone())).collect()
    };
    assert_eq!(judged(&followed), judged(&led), "both judge the same people alike");
    // Someone new: both engines see the change, only the leader writes it down, once.
    a_store.append(ws, orders("u5"), &source, &policy).await.unwrap();
    assert_eq!(a.refresh(ws).await.unwrap().1.recorded.stage_changes, 1);
    assert_eq!(b.refresh(ws).await.unwrap().1.recorded, Default::default());
    assert_eq!(b_store.stage_changes(ws, None, 100).await.unwrap().len(), stages_recorded + 1, "recorded once");

    // The leader's node goes; the follower takes over and records nothing already recorded.
    drop((a, led, a_store));
    let mut term = None;
    for _ in 0..100 {
        term = b.lead(ws).await.unwrap();
        if term.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(term.is_some(), "the follower leads once the leader's session ends");
    let (_, again) = b.refresh(ws).await.unwrap();
    assert_eq!(again.recorded, Default::default(), "nothing recorded twice");
    b_store.append(ws, orders("u4"), &source, &policy).await.unwrap();
    let (_, next) = b.refresh(ws).await.unwrap();
    assert_eq!(next.recorded.stage_changes, 1, "the newcomer, recorded by the new leader: {next:?}");
    drop((b, b_store));
}

/// A node that does not lead scores with the leader's stored fit, not one of its own over a log
/// that has moved since: every node shows the same predictions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_following_engine_scores_with_the_leaders_fit() {
    use rekindle_core::identity::IdentityPolicy;
    use rekindle_core::message::{Arrival, Message};
    use rekindle_engine::{Engine, Judging};
    use rekindle_store::prelude::*;
    use rekindle_store_postgres::PostgresStore;

    let db = Database::fresh(&format!("rk_fit_{}", std::process::id()));
    let now = chrono::Utc::now();
    let clock: rekindle_engine::Clock = Arc::new(move || now);
    let node = |store: Arc<dyn Store>| Engine::new(store, Judging::default(), clock.clone(), Duration::ZERO);
    let a_store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&db.url).await.unwrap());
    let b_store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&db.url).await.unwrap());
    let ws = a_store.workspace_by_slug(rekindle_store::DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
    let (a, b) = (node(a_store.clone()), node(b_store.clone()));
    // Buyers with 1 to 4 orders spread over the last 200 days, as an import would bring them.
    let orders = |who: usize, first_day: i64| -> Vec<Message> {
        (0..1 + who % 4)
            .map(|i| {
                let at = now - chrono::Duration::days(first_day - 37 * i as i64 - (who % 5) as i64);
                let id = format!("o-{who}-{first_day}-{i}");
                let json = json!({"type": "track", "event": "Order Completed", "userId": format!("u{who}"),
                                  "messageId": id, "timestamp": at.to_rfc3339(),
                                  "properties": {"order_id": id, "revenue": 20 + who % 7 * 10}});
                let arrival = Arrival { historical: true, ..Arrival::live(now) };
                Message::parse(&json.to_string(), None, &arrival).unwrap()
            })
            .collect()
    };
    let (source, policy) = (rekindle_store::Source::write_key("test"), IdentityPolicy::default());
    let all: Vec<Message> = (0..60).flat_map(|who| orders(who, 200)).collect();
    a_store.append(ws, all, &source, &policy).await.unwrap();
    assert!(a.lead(ws).await.unwrap().is_some(), "the first engine to ask leads");
    let (led, _) = a.refresh(ws).await.unwrap();
    let fit = led.context.fit.clone().expect("the leader fits the models");
    assert_eq!(a_store.latest_fit(ws).await.unwrap().map(|f| f.as_of), Some(fit.as_of), "and stores its fit");

    // The log moves on: forty more buyers. A fit of its own would differ; the follower's is the leader's.
    let more: Vec<Message> = (60..100).flat_map(|who| orders(who, 90)).collect();
    b_store.append(ws, more, &source, &policy).await.unwrap();
    assert!(b.lead(ws).await.unwrap().is_none(), "the second engine follows");
    let (followed, _) = b.refresh(ws).await.unwrap();
    assert_eq!(followed.context.fit.as_deref(), Some(&*fit), "the follower scores with the leader's fit");
    assert_eq!(followed.members.len(), 100, "over everyone it has folded");
    let scored: Vec<_> = led.members.iter().filter(|m| m.scores.is_some()).collect();
    assert!(scored.len() >= 30, "the leader scored its buyers: {}", scored.len());
    for m in scored {
        let there = followed.members.iter().find(|f| f.person == m.person).expect("the follower has them too");
        assert_eq!(there.scores, m.scores, "a person's predictions are the same on both nodes");
    }
    drop((a, b, led, followed, a_store, b_store));
}
