//! Event → outbox latency: a store of many profiles, fifty live journeys, and `Order
//! Completed` events posted one at a time through `/v1/batch`; for each, the time from the
//! server's acknowledgement (the event durable) to the first message it caused being written
//! to the outbox (its row stamped inside the queueing transaction).
//!
//! With `--ingest-rate`, simulated store traffic (`traffic.rs`: many people's events
//! interleaved, as a live room sends them) is posted beside the orders at that rate, from a few
//! seconds before the first order until the last: the tail under a busy store's ingestion.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::message::Arrival;
use rekindle_core::outreach::{ChannelKind, MessageTemplate, TemplateParam};
use rekindle_core::{Identifier, IdentifierKind};
use rekindle_store::PersonRef;
use serde_json::json;

use super::histograms::{bucket_quantile, writer_times};
use crate::cli::{BenchJourneysArgs, Global};
use rekindle_core::events;

const CATEGORIES: [&str; 6] = ["燕麦", "牛奶", "草莓", "大米", "鸡蛋", "坚果"];
/// What the ten journeys on other events start on.
const OTHER_EVENTS: [&str; 5] = [
    events::LIVE_ENTERED,
    events::LIVE_COMMENTED,
    events::COUPON_REDEEMED,
    events::TICKET_RESOLVED,
    events::CONTACT_ADDED,
];
/// Messages per request of the ingestion load.
const LOAD_BATCH: usize = 100;
/// How long the ingestion load runs before the first order: past its start-up.
const LOAD_LEAD: Duration = Duration::from_secs(5);

pub async fn journeys(global: &Global, args: BenchJourneysArgs) -> anyhow::Result<ExitCode> {
    let super::Bench { _temp, app, ws, key } = super::bench_server(global).await?;
    let addr = app.local_addr();
    let store = app.state.store.clone();
    let engine = app.state.engine.clone();

    // Profiles: each person identified (phone, openid, WeCom contact) with one or two orders.
    eprintln!("storing {} people…", args.profiles);
    let started = Instant::now();
    let arrival = Arrival { historical: true, ..Arrival::live(Utc::now()) };
    let day = 86_400_000i64;
    let base = Utc::now().timestamp_millis() - 90 * day;
    let mut batch = Vec::with_capacity(20_000);
    for i in 0..args.profiles {
        let at = |offset: i64| DateTime::<Utc>::from_timestamp_millis(base + offset).expect("a time").to_rfc3339();
        let category = CATEGORIES[i % CATEGORIES.len()];
        let user = format!("p{i}");
        batch.push(json!({"type": "identify", "userId": user, "messageId": format!("i{i}"), "timestamp": at(0),
            // 14…: a prefix the simulator's phones (13, 15, 17, 18, 19) never take, so the
            // traffic posted beside the orders merges with none of these people.
            "traits": {"phone": format!("{}", 14_000_000_000u64 + i as u64), "wechat_openid": format!("o{i}"),
                       "wecom_external_userid": format!("wm{i}"), "nickname": format!("顾客{i}")}}));
        let orders = 1 + i % 2;
        for n in 0..orders {
            // Spread over the 90 days up to an hour ago: a store that is live, whose audience
            // is judged as of now. (History that stopped days ago would make the first live
            // order move everyone's clock, and stage, at once.)
            let span = 90 * day - day / 24;
            let when = (i as i64 * span / args.profiles.max(1) as i64 + n as i64 * 17 * day) % span;
            batch.push(json!({"type": "track", "event": events::ORDER_COMPLETED, "userId": user, "messageId": format!("o{i}-{n}"),
                "timestamp": at(when), "properties": {"order_id": format!("o{i}-{n}"), "revenue": 39.9 + n as f64,
                "products": [{"sku": format!("sku-{category}"), "name": format!("{category}家庭装"), "category": category, "price": 39.9, "quantity": 1}]}}));
        }
        if batch.len() >= 20_000 || i + 1 == args.profiles {
            super::store_history(&*store, ws, &mut batch, &arrival).await?;
        }
    }
    eprintln!("stored in {:.1} s; building the audience…", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let (audience, _) = engine.refresh(ws).await?;
    let people = audience.members.len();
    let scored = audience.members.iter().filter(|m| m.scores.is_some()).count();
    eprintln!("{people} profiles judged in {:.1} s ({scored} with predictions)", started.elapsed().as_secs_f64());
    drop(audience);
    // The history's points, awarded before measuring as on a server that kept up: otherwise
    // the points follower works through the whole history beside the orders.
    let started = Instant::now();
    let points = app.state.points.follow(ws).await?;
    eprintln!(
        "the history's points: {} awarded over {} events in {:.1} s",
        points.awarded,
        points.events,
        started.elapsed().as_secs_f64()
    );

    // Fifty live journeys: most triggered by orders (some with an audience rule, branches,
    // coupons and waits), the rest by other events or by dates.
    for (name, channel, t) in [
        ("wecom", ChannelKind::Wecom, None),
        ("sms", ChannelKind::Sms, Some("SMS_1")),
        ("mp", ChannelKind::Miniprogram, Some("TPL_1")),
    ] {
        let template = MessageTemplate {
            name: name.into(),
            channel,
            text: "{{nickname|亲}}，{{last_product|好物}}到啦，拒收请回复R".into(),
            provider_template: t.map(str::to_owned),
            params: vec![TemplateParam { name: "thing1".into(), value: "{{nickname|亲}}".into() }],
            link: None,
            transactional: false,
            attachments: vec![],
        };
        store.put_message_template(ws, &template).await?;
    }
    for i in 0..50 {
        let channel = ["wecom", "sms", "mp"][i % 3];
        let channel_kind = ["wecom", "sms", "miniprogram"][i % 3];
        let other_event = OTHER_EVENTS[i % 5];
        let stage = ["silent", "churned", "new", "active", "reactivated"][i % 5];
        let definition = match i {
            0..=29 => json!({
                "trigger": {"type": "event", "event": events::ORDER_COMPLETED},
                "audience": if i % 3 == 0 { json!("orders >= 1") } else { json!(null) },
                "steps": [
                    {"id": "vip", "type": "branch", "rule": "tier = high or spend(365d) >= ¥500", "then": "send", "else": "send"},
                    {"id": "send", "type": "send", "channel": channel_kind, "template": channel, "next": "wait"},
                    {"id": "wait", "type": "wait", "minutes": 1440 + i},
                ],
                "goal": {"within_days": 7},
                "reentry": {"type": "always"},
            }),
            30..=39 => json!({
                "trigger": {"type": "event", "event": other_event},
                "steps": [{"id": "send", "type": "send", "channel": channel_kind, "template": channel}],
            }),
            40..=44 => json!({
                "trigger": {"type": "depletion", "days_before": 1 + i % 2, "category": CATEGORIES[i % CATEGORIES.len()]},
                "steps": [{"id": "send", "type": "send", "channel": channel_kind, "template": channel}],
                "reentry": {"type": "after", "days": 14},
            }),
            _ => json!({
                "trigger": {"type": "stage_changed", "to": stage},
                "steps": [{"id": "send", "type": "send", "channel": channel_kind, "template": channel}],
                "reentry": {"type": "after", "days": 30},
            }),
        };
        let d: Definition = serde_json::from_value(definition)?;
        let j = store.create_journey(ws, &format!("bench-{i}"), &d, Utc::now()).await?;
        store.publish_journey(ws, j.id, None, Utc::now()).await?;
    }
    // The store's history was there before the journeys: the runner starts at its end, as it
    // would have on a server that kept up (publishing never replays the past anyway).
    store.set_journey_cursor(ws, store.horizon(ws).await?.event).await?;
    app.state.runner.invalidate(ws);
    let runner = app.state.runner.clone();
    let app_metrics = app.state.metrics.clone();
    let server = tokio::spawn(app.run_until(std::future::pending()));
    // The first look of the dated journeys over everyone, before measuring.
    let started = Instant::now();
    let first = runner.background(ws).await?;
    eprintln!(
        "first look of the dated journeys: {} entered in {:.1} s",
        first.entered,
        started.elapsed().as_secs_f64()
    );

    rekindle_delivery::install_crypto_provider();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/batch");
    let gap = Duration::from_secs_f64(1.0 / args.rate.max(1.0));
    let load = match args.ingest_rate > 0.0 {
        true => {
            let seconds = LOAD_LEAD.as_secs_f64() + args.events as f64 / args.rate.max(1.0) + 5.0;
            let requests = (args.ingest_rate * seconds / LOAD_BATCH as f64).ceil() as usize;
            eprintln!("simulating {requests} requests of {LOAD_BATCH} events for the ingestion load…");
            let run = format!("load{}", Utc::now().timestamp_millis());
            // About ten events a person over the simulator's 60 days: room to spare.
            let people = (requests * LOAD_BATCH / 5).max(1000) as u64;
            // Without the events that trigger the bench's journeys, a third of the traffic is
            // left out: simulate enough for the rate either way.
            let simulated = if args.load_triggers { requests } else { requests * 8 / 5 + 1 };
            let mut bodies = super::traffic::batches(
                super::traffic::Format::Segment,
                7,
                people,
                &run,
                simulated,
                LOAD_BATCH,
                false,
            )?;
            // What of it triggers the bench's journeys: each such event is one more entry (or
            // thirty, for an order) the runner writes before it reaches the next order measured.
            let (mut orders, mut triggering, mut all) = (0usize, 0usize, 0usize);
            let mut kept = Vec::new();
            for body in &bodies {
                let v: serde_json::Value = serde_json::from_slice(body)?;
                for m in v["batch"].as_array().into_iter().flatten() {
                    all += 1;
                    let triggers = match m["event"].as_str() {
                        Some(events::ORDER_COMPLETED) => {
                            orders += 1;
                            true
                        }
                        Some(name) if OTHER_EVENTS.contains(&name) => {
                            triggering += 1;
                            true
                        }
                        _ => false,
                    };
                    if !triggers {
                        kept.push(m.clone());
                    }
                }
            }
            if !args.load_triggers {
                // The store's browsing, live-room and contact traffic only, in requests of the
                // same size: what a busy live session sends besides its orders.
                eprintln!("leaving the {} journey-triggering events out of the load", orders + triggering);
                bodies = kept
                    .chunks_exact(LOAD_BATCH)
                    .take(requests)
                    .map(|batch| {
                        // Sent as its last message is stamped, as the full traffic's requests are.
                        let sent_at = batch.last().map_or(serde_json::Value::Null, |m| m["timestamp"].clone());
                        serde_json::to_vec(&serde_json::json!({"batch": batch, "sentAt": sent_at}))
                    })
                    .collect::<Result<_, _>>()?;
                anyhow::ensure!(bodies.len() == requests, "too few events left for the load");
            }
            eprintln!(
                "the load: {all} events, {orders} of them Order Completed ({:.1}%), {triggering} other events that trigger a journey ({:.1}%)",
                orders as f64 * 100.0 / all.max(1) as f64,
                triggering as f64 * 100.0 / all.max(1) as f64
            );
            eprintln!(
                "posting {} events a second of simulated traffic for {LOAD_LEAD:?} before the orders…",
                args.ingest_rate
            );
            let load = super::traffic::PacedLoad::start(
                reqwest::Client::builder().pool_max_idle_per_host(64).build()?,
                url.clone(),
                key.clone(),
                bodies,
                LOAD_BATCH,
                args.ingest_rate,
            );
            tokio::time::sleep(LOAD_LEAD).await;
            Some(load)
        }
        false => None,
    };
    eprintln!("posting {} orders at {} a second…", args.events, args.rate);
    let (orders_from, cpu_from) = (Instant::now(), super::cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID));
    let mut acked: Vec<(usize, DateTime<Utc>)> = Vec::with_capacity(args.events);
    let stride = (args.profiles / args.events.max(1)).max(1);
    let mut next = Instant::now();
    for n in 0..args.events {
        let i = (n * stride) % args.profiles;
        let body = json!({"batch": [{"type": "track", "event": events::ORDER_COMPLETED, "userId": format!("p{i}"),
            "messageId": format!("bench-order-{n}"), "properties": {"order_id": format!("bench-{n}"), "revenue": 59.0,
            "products": [{"sku": "sku-燕麦", "name": "燕麦家庭装", "category": "燕麦", "price": 59.0, "quantity": 1}]}}]});
        let r = client.post(&url).basic_auth(&key, Some("")).json(&body).send().await?;
        anyhow::ensure!(r.status().is_success(), "HTTP {}", r.status());
        acked.push((i, Utc::now()));
        next += gap;
        tokio::time::sleep_until(next.into()).await;
    }
    // How busy the orders kept the machine: beside a load of 10,000 events a second, two cores
    // are most of the way to saturated, and the tail then follows the CPU (docs/benchmarks.md).
    let (orders_took, cpu_took) =
        (orders_from.elapsed(), super::cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID).saturating_sub(cpu_from));
    let load = match load {
        Some(load) => Some(load.finish().await?),
        None => None,
    };
    // How far the points follower, the log's busiest follower after the runner, is behind
    // when the last order is in: one that cannot keep up awards later and later.
    let points_behind = store.horizon(ws).await?.event - store.points_cursor(ws).await?;
    // Every order enters thirty journeys; wait until each has its messages queued.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut latencies = Vec::with_capacity(acked.len());
    let mut missing = 0;
    for (i, at) in &acked {
        let who = PersonRef::Identifier(Identifier { kind: IdentifierKind::UserId, value: format!("p{i}") });
        let person = store.person(ws, &who).await?.context("a benchmark person")?;
        let first = store
            .messages(ws, Some(person.id), 1000)
            .await?
            .into_iter()
            .filter(|m| m.created_at >= *at - chrono::Duration::seconds(1))
            .map(|m| m.created_at)
            .min();
        match first {
            Some(t) => latencies.push((t - *at).num_microseconds().unwrap_or(0).max(0) as f64 / 1e3),
            None => missing += 1,
        }
    }
    server.abort();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!("backend          {}", store.backend());
    println!("profiles         {people}");
    println!("live journeys    50 (30 on Order Completed, 10 on other events, 10 dated)");
    println!("events           {} Order Completed, one per request, {} a second", args.events, args.rate);
    println!(
        "event → outbox   p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} measured, {missing} without a message)",
        pct(0.5),
        pct(0.99),
        latencies.last().copied().unwrap_or(0.0),
        latencies.len()
    );
    // Where the time went, by the server's own histograms (`/metrics`; each figure is the upper
    // bound of the bucket the quantile falls in): every request's acknowledgement until it was
    // applied (the load's too), then the orders' arrival until the runner read them and until
    // their journeys were entered.
    let text = app_metrics.encode();
    let at_most =
        |name: &str, q: f64| bucket_quantile(&text, name, q).map_or("?".into(), |s| format!("{:.1}", s * 1e3));
    for (label, name) in [
        ("applied", "rekindle_ingest_apply_delay_seconds"),
        ("runner read it", "rekindle_journey_event_read_seconds"),
        ("entered, walked", "rekindle_journey_event_entered_seconds"),
    ] {
        println!("  {label:<15} p50 ≤ {} ms, p99 ≤ {} ms (/metrics buckets)", at_most(name, 0.5), at_most(name, 0.99));
    }
    // What an apply is made of: each append to the store (its wait for the writer included)
    // and how many messages it took. When `applied` is far above `per append`, the time went in
    // the queue for the applier, not in the store.
    let size =
        |q: f64| bucket_quantile(&text, "rekindle_ingest_commit_messages", q).map_or("?".into(), |n| n.to_string());
    println!(
        "  per append      p50 ≤ {} ms, p99 ≤ {} ms; p50 ≤ {} messages, p99 ≤ {} (/metrics buckets)",
        at_most("rekindle_ingest_commit_seconds", 0.5),
        at_most("rekindle_ingest_commit_seconds", 0.99),
        size(0.5),
        size(0.99)
    );
    // Each SQLite file's one writer (`rekindle_store::urgency`): how long writes waited for it
    // and then held it, the whole run's (the history stored before the orders is in `normal`).
    for file in [rekindle_store_sqlite::DB_FILE, rekindle_store_sqlite::RUNS_FILE] {
        for (label, family) in
            [("waits", "rekindle_sqlite_writer_wait_seconds"), ("held", "rekindle_sqlite_writer_held_seconds")]
        {
            let by_urgency = writer_times(&text, family, file);
            if !by_urgency.is_empty() {
                println!("{:<16} {by_urgency} (/metrics buckets)", format!("{file} {label}"));
            }
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "process CPU      {:.1} s over the {:.1} s of the orders: {:.0}% of {cores} cores",
        cpu_took.as_secs_f64(),
        orders_took.as_secs_f64(),
        cpu_took.as_secs_f64() * 100.0 / (orders_took.as_secs_f64() * cores as f64).max(1e-9)
    );
    println!("points follower  {points_behind} events behind the log after the last order");
    match load {
        None => println!("ingestion load   none (--ingest-rate 0)"),
        Some(l) => {
            println!(
                "ingestion load   {:.0} events/s asked, {:.0} achieved over {:.1} s ({} events in {} requests of {LOAD_BATCH}; {})",
                l.target,
                l.rate(),
                l.elapsed.as_secs_f64(),
                l.events,
                l.requests,
                if l.kept_up() { "kept up" } else { "DID NOT KEEP UP" }
            );
            println!(
                "load acks        p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} requests late by > 100 ms, {} answered 429 and retried)",
                l.ack(0.5).as_secs_f64() * 1e3,
                l.ack(0.99).as_secs_f64() * 1e3,
                l.acks.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
                l.late,
                l.refused
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
