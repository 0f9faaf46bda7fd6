//! `rekindle demo`: a realistic store, loaded and served, in one command.

mod channel_codes;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rekindle_core::Message;
use rekindle_core::message::Arrival;
use rekindle_server::App;
use rekindle_sim::Simulation;
use rekindle_store::{DEFAULT_WORKSPACE, Source, Store};
use serde_json::Value;

use crate::cli::{DemoArgs, Global};

/// Messages per transaction while loading: big transactions load fastest (docs/benchmarks.md).
const LOAD_BATCH: usize = 20_000;

pub async fn run(global: &Global, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let mut global = global.clone();
    let data_dir = global.data_dir.get_or_insert_with(|| PathBuf::from("rekindle-demo")).clone();
    let config = super::load_config(&global, serde_json::json!({"listen": args.listen}))?;
    rekindle_server::telemetry::init(&rekindle_server::config::LogConfig {
        filter: "warn".into(),
        ..config.log.clone()
    });
    let store = crate::store::open(&config).await?;
    let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await?.context("the default workspace")?.id;

    if store.totals(ws).await?.events == 0 {
        load(&*store, ws, &args, &data_dir, &config.identity).await?;
    } else {
        println!("Reusing the demo store in {} (delete the directory for a fresh one).", data_dir.display());
    }
    let (key, _) =
        rekindle_ingest::write_keys::create(&*store, ws, "demo").await?.map_err(|e| anyhow::anyhow!("{e}"))?;
    let owner = demo_owner(&*store, ws, &data_dir).await?;
    let (token, _) = rekindle_server::auth::create_api_token(&*store, owner.user_id, "demo").await?;

    let app = App::with_store(config, store).await?;
    // The store's history earns its points before anyone looks (the follower goes on from there).
    let points = app.state.points.follow(ws).await?;
    if points.awarded > 0 {
        let redeemed = redeem_at_orders(&*app.state.store, ws).await?;
        println!("Points: {} awarded from {} events; {redeemed} redeemed at orders.", points.awarded, points.events);
    }
    let addr = app.local_addr();
    println!();
    println!("Rekindle demo is serving http://{addr}");
    println!("  Console:    http://{addr}/  — sign in as {} / {}", owner.email, owner.password);
    println!("  REST API:   curl -H 'Authorization: Bearer {token}' http://{addr}/api/v1/people/m{}-5", args.sim.seed);
    println!("  Ingestion:  write key {key} (HTTP Basic username), e.g. POST http://{addr}/v1/track");
    println!("  Sensors:    server_url http://{addr}/sa?token={key} for 神策 SDKs");
    println!("  API docs:   http://{addr}/api/openapi.json");
    app.run().await?;
    Ok(ExitCode::SUCCESS)
}

async fn load(
    store: &dyn Store,
    ws: rekindle_core::WorkspaceId,
    args: &DemoArgs,
    data_dir: &Path,
    policy: &rekindle_core::identity::IdentityPolicy,
) -> anyhow::Result<()> {
    let s = &args.sim;
    println!("Simulating a store of {} people over {} days (seed {})…", s.people, s.days, s.seed);
    // The demo plants what each acquisition source is worth (docs/simulator.md).
    let sim = Simulation::new(rekindle_sim::SimConfig { ltv: rekindle_sim::SimConfig::demo().ltv, ..s.config() });
    // The truth, catalogue and schedule beside the store, for models to be scored against.
    let truth_path = data_dir.join("demo-truth.jsonl");
    let settings = std::fs::File::create(data_dir.join("demo-simulation.json")).context("writing the demo settings")?;
    serde_json::to_writer_pretty(settings, sim.config())?;
    let mut truth = std::io::BufWriter::new(std::fs::File::create(&truth_path).context("writing the demo truth")?);
    let bar = ProgressBar::new(s.people);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} people {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    store.put_products(ws, sim.products()).await?;
    store.put_live_sessions(ws, sim.session_objects()).await?;
    let arrival = Arrival { historical: true, ..Arrival::live(chrono::Utc::now()) };
    let source = Source("demo".into());
    let mut batch = Vec::with_capacity(LOAD_BATCH);
    let mut events = 0u64;
    let mut codes = channel_codes::Seen::default();
    for i in 0..s.people {
        let (person_events, person_truth) = sim.person(i);
        codes.add(&person_truth);
        serde_json::to_writer(&mut truth, &person_truth)?;
        truth.write_all(b"\n")?;
        for e in person_events {
            let Value::Object(object) = e else { continue };
            let id = object.get("messageId").and_then(Value::as_str).unwrap_or_default().to_string();
            let message = Message::from_object(object, None, &arrival, id.as_bytes())
                .map_err(|e| anyhow::anyhow!("the simulator made an invalid message: {e}"))?;
            batch.push(message);
        }
        if batch.len() >= LOAD_BATCH {
            events += batch.len() as u64;
            store.append(ws, std::mem::take(&mut batch), &source, policy).await?;
            bar.set_message(format!("{events} events"));
        }
        bar.inc(1);
    }
    events += batch.len() as u64;
    store.append(ws, batch, &source, policy).await?;
    truth.flush()?;
    bar.finish_and_clear();
    println!("Loaded {events} events; ground truth in {}.", truth_path.display());
    // The shipped journeys, as drafts to read and publish: a demo has no message providers.
    for s in rekindle_journeys::shipped() {
        rekindle_journeys::install(store, ws, &s, s.name, chrono::Utc::now()).await?;
    }
    // The channel codes the simulated customers came through, as the store would have made them.
    store.put_channel_codes(ws, &codes.codes(sim.config()), chrono::Utc::now()).await?;
    // The starter FAQ knowledge base (shelf life, origin, shipping, storage, cooking, refunds).
    store.put_faq_entries(ws, &rekindle_faq::starter(), chrono::Utc::now()).await?;
    Ok(())
}

/// The demo store's owner account, made on first run; its credentials are kept beside the
/// store (it is a demo) so a re-run can print them again.
struct DemoOwner {
    user_id: rekindle_core::UserId,
    email: String,
    password: String,
}

const DEMO_OWNER: &str = "owner@rekindle.demo";

async fn demo_owner(store: &dyn Store, ws: rekindle_core::WorkspaceId, data_dir: &Path) -> anyhow::Result<DemoOwner> {
    let file = data_dir.join("demo-owner.txt");
    let exists = store.user_by_email(DEMO_OWNER).await?.is_some();
    let password = match std::fs::read_to_string(&file) {
        Ok(p) if exists => p.trim().to_string(),
        Err(_) if exists => format!("(set on an earlier run; {} is gone)", file.display()),
        _ => {
            let password = rekindle_ingest::write_keys::random_token("");
            std::fs::write(&file, &password).context("keeping the demo owner's password")?;
            password
        }
    };
    let role = rekindle_core::access::Role::Owner;
    let (user, _) = rekindle_server::auth::add_operator(store, ws, DEMO_OWNER, "Demo owner", &password, role).await?;
    Ok(DemoOwner { user_id: user.id, email: user.email, password })
}

/// Share of orders, by members holding at least [`REDEEM_FROM`] points, at which the demo's
/// order system redeems some (seed 002: usage rose to 58% once 50 points took ¥1 off).
const REDEEM_PERCENT: u64 = 58;
const REDEEM_FROM: i64 = 100;
/// The most one order takes off, in points (¥6 at 50 points a yuan).
const REDEEM_AT_MOST: i64 = 300;

/// The demo's order system using points as a store's would: at the orders of its history,
/// members holding enough redeem some, held and confirmed through the ledger like any
/// redemption. Which orders is a hash of the order, so a reloaded demo redeems the same.
async fn redeem_at_orders(store: &dyn Store, ws: rekindle_core::WorkspaceId) -> anyhow::Result<usize> {
    use std::hash::{Hash, Hasher};
    let program = store.loyalty_program(ws).await?;
    let (_, ledgers) = store.ledgers_by_person(ws).await?;
    let mut redeemed = 0;
    for (person, mut entries) in ledgers {
        entries.sort_by_key(|e| e.at);
        let mut balance = 0;
        for e in &entries {
            let order = e.source.strip_prefix("order:");
            let mut h = std::collections::hash_map::DefaultHasher::new();
            e.source.hash(&mut h);
            if let Some(order) = order
                && balance >= REDEEM_FROM
                && h.finish() % 100 < REDEEM_PERCENT
            {
                let points = balance.min(REDEEM_AT_MOST) / 50 * 50;
                let key = format!("demo-{order}");
                let entry = program.redemption(&key, points, e.at);
                if store.post_points(ws, person, &[entry]).await?[0] == rekindle_core::loyalty::Posted::Written {
                    store.confirm_redemption(ws, &key, e.at).await?;
                    balance -= points;
                    redeemed += 1;
                }
            }
            balance += e.points;
        }
    }
    Ok(redeemed)
}
