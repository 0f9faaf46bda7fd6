//! The live monitor under a full room: many viewers in one running session sending heartbeats
//! through `/v1/batch`, with comments, questions and orders, while a browser-like client reads
//! the monitor's Server-Sent Events. Measured: for probe orders posted through the run, the time
//! from posting (and from the acknowledgement) to the first monitor event that counts them;
//! and how long each monitor build took, its composition by segment, tier and stage included.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rekindle_core::events;
use rekindle_core::message::Arrival;
use rekindle_core::objects::LiveSession;
use serde_json::{Value, json};

use crate::cli::{BenchLiveArgs, Global};

/// Requests a second the heartbeats are spread over.
const TICKS_PER_SECOND: u64 = 4;

pub async fn live(global: &Global, args: BenchLiveArgs) -> anyhow::Result<ExitCode> {
    let super::Bench { _temp, app, ws, key } = super::bench_server(global).await?;
    let addr = app.local_addr();
    let store = app.state.store.clone();

    // The viewers, known before the session: identified, a third with an order, a fifth WeCom
    // contacts, so the composition has tiers, stages and a private domain to count.
    eprintln!("storing {} viewers…", args.viewers);
    let arrival = Arrival { historical: true, ..Arrival::live(Utc::now()) };
    let long_ago = (Utc::now() - chrono::Duration::days(20)).to_rfc3339();
    let mut batch = Vec::new();
    for i in 0..args.viewers {
        let user = format!("v{i}");
        batch.push(json!({"type": "identify", "userId": user, "messageId": format!("i{i}"), "timestamp": long_ago,
            "traits": {"wechat_openid": format!("o{i}"), "nickname": format!("观众{i}")}}));
        if i % 3 == 0 {
            batch.push(
                json!({"type": "track", "event": events::ORDER_COMPLETED, "userId": user, "messageId": format!("h{i}"),
                "timestamp": long_ago, "properties": {"order_id": format!("h{i}"), "revenue": 59.0 + (i % 50) as f64,
                "products": [{"sku": "oat", "name": "燕麦家庭装", "category": "燕麦", "price": 59.0, "quantity": 1}]}}),
            );
        }
        if i % 5 == 0 {
            batch.push(
                json!({"type": "track", "event": events::CONTACT_ADDED, "userId": user, "messageId": format!("c{i}"),
                "timestamp": long_ago, "properties": {"channel": "wecom", "source": "live"}}),
            );
        }
        if batch.len() >= 20_000 || i + 1 == args.viewers {
            super::store_history(&*store, ws, &mut batch, &arrival).await?;
        }
    }
    let started_at = Utc::now() - chrono::Duration::minutes(20);
    let session = LiveSession {
        id: "bench-live".into(),
        title: "压测直播".into(),
        topics: vec!["燕麦".into()],
        host: "小鹿".into(),
        scheduled_start: started_at,
        started_at: Some(started_at),
        ended_at: None,
    };
    store.put_live_sessions(ws, vec![session]).await?;
    app.state.engine.refresh(ws).await?;
    let live = app.state.live.clone();
    let server = tokio::spawn(app.run_until(std::future::pending()));

    rekindle_delivery::install_crypto_provider();
    let client = reqwest::Client::new();
    let batch_url = format!("http://{addr}/v1/batch");
    let post = |events: Vec<Value>| {
        let (client, url, key) = (client.clone(), batch_url.clone(), key.clone());
        async move {
            let r = client.post(&url).basic_auth(&key, Some("")).json(&json!({"batch": events})).send().await?;
            anyhow::ensure!(r.status().is_success(), "HTTP {}", r.status());
            anyhow::Ok(())
        }
    };
    let track = |user: String, id: String, event: &str, properties: Value| json!({"type": "track", "userId": user, "event": event, "messageId": id, "properties": properties});

    // Everyone enters.
    eprintln!("{} viewers enter…", args.viewers);
    let entries: Vec<Value> = (0..args.viewers)
        .map(|i| track(format!("v{i}"), format!("in{i}"), events::LIVE_ENTERED, json!({"session_id": "bench-live"})))
        .collect();
    for chunk in entries.chunks(500) {
        post(chunk.to_vec()).await?;
    }

    // The monitor's stream, read as a browser would: each snapshot's arrival time and orders.
    let seen: Arc<Mutex<Vec<(Instant, u64, u64)>>> = Arc::default();
    let mut stream = client
        .get(format!("http://{addr}/api/v1/live/sessions/bench-live/monitor/stream"))
        .bearer_auth("bench")
        .send()
        .await?;
    anyhow::ensure!(stream.status().is_success(), "monitor stream: HTTP {}", stream.status());
    let reader = {
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut buf = String::new();
            while let Ok(Some(chunk)) = stream.chunk().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let event: String = buf.drain(..end + 2).collect();
                    let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
                    if let Ok(m) = serde_json::from_str::<Value>(data) {
                        let (orders, concurrent) =
                            (m["orders"].as_u64().unwrap_or(0), m["concurrent"].as_u64().unwrap_or(0));
                        seen.lock().unwrap_or_else(|p| p.into_inner()).push((Instant::now(), orders, concurrent));
                    }
                }
            }
        })
    };

    // The run: heartbeats spread over the ticks of each heartbeat period, a probe order every
    // tick, comments and a question now and then.
    let ticks = args.seconds * TICKS_PER_SECOND;
    let period = args.heartbeat.max(1) * TICKS_PER_SECOND;
    eprintln!(
        "{} s of heartbeats every {} s ({} events/s) with a probe order every {} ms…",
        args.seconds,
        args.heartbeat,
        args.viewers as u64 / args.heartbeat.max(1),
        1000 / TICKS_PER_SECOND
    );
    let mut probes: Vec<(Instant, Instant)> = Vec::new();
    let mut sent = 0u64;
    let begun = Instant::now();
    for tick in 0..ticks {
        let due = begun + Duration::from_millis(tick * 1000 / TICKS_PER_SECOND);
        tokio::time::sleep_until(due.into()).await;
        let mut events: Vec<Value> = (0..args.viewers)
            .filter(|i| *i as u64 % period == tick % period)
            .map(|i| {
                let props = json!({"session_id": "bench-live", "seconds": args.heartbeat, "latency_ms": 800 + i % 400});
                track(format!("v{i}"), format!("hb{i}-{tick}"), events::LIVE_WATCHED, props)
            })
            .collect();
        for c in 0..5 {
            let who = (tick as usize * 7 + c * 131) % args.viewers;
            let props = json!({"session_id": "bench-live", "comment_id": format!("q{tick}-{c}"), "text": "这个保质期多久？", "is_question": c == 0});
            events.push(track(format!("v{who}"), format!("cm{tick}-{c}"), events::LIVE_COMMENTED, props));
        }
        sent += events.len() as u64;
        for chunk in events.chunks(500) {
            post(chunk.to_vec()).await?;
        }
        // The probe: one order alone in its request.
        let who = (tick as usize * 13) % args.viewers;
        let props = json!({"session_id": "bench-live", "order_id": format!("probe-{tick}"), "revenue": 39.9,
            "products": [{"sku": "oat", "name": "燕麦家庭装", "price": 39.9, "quantity": 1}]});
        let posted = Instant::now();
        post(vec![track(format!("v{who}"), format!("probe-{tick}"), events::ORDER_COMPLETED, props)]).await?;
        probes.push((posted, Instant::now()));
        sent += 1;
    }
    let elapsed = begun.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    reader.abort();
    server.abort();

    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (mut from_post, mut from_ack, mut unseen) = (Vec::new(), Vec::new(), 0);
    for (k, (posted, acked)) in probes.iter().enumerate() {
        // The first snapshot that counts this probe: the k+1-th order of the session.
        match seen.iter().find(|(at, orders, _)| *orders > k as u64 && at >= posted) {
            Some((at, _, _)) => {
                from_post.push(at.duration_since(*posted).as_secs_f64() * 1e3);
                from_ack.push(at.saturating_duration_since(*acked).as_secs_f64() * 1e3);
            }
            None => unseen += 1,
        }
    }
    let times = live.build_times();
    let mut builds: Vec<f64> = times.iter().map(|d| d.0.as_secs_f64() * 1e3).collect();
    let mut compositions: Vec<f64> = times.iter().map(|d| d.1.as_secs_f64() * 1e3).collect();
    let concurrent = seen.iter().map(|s| s.2).max().unwrap_or(0);
    println!("backend             {}", store.backend());
    println!("viewers             {} (peak in the room: {concurrent})", args.viewers);
    println!(
        "events              {sent} in {:.1} s ({:.0}/s): heartbeats every {} s, comments, questions, {} probe orders",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        args.heartbeat,
        probes.len()
    );
    println!("monitor events      {} over the run", seen.len());
    println!("post → monitor      {} ({unseen} probes never seen)", summary(&mut from_post));
    println!("ack → monitor       {}", summary(&mut from_ack));
    println!("monitor build       {} ({} builds)", summary(&mut builds), builds.len());
    println!(
        "  of it composition {} (segments, personas, tier, stage, visit, identity, domain)",
        summary(&mut compositions)
    );
    Ok(ExitCode::SUCCESS)
}

fn summary(xs: &mut [f64]) -> String {
    xs.sort_by(f64::total_cmp);
    let pct = |p: f64| xs.get(((xs.len() as f64 * p) as usize).min(xs.len().saturating_sub(1))).copied().unwrap_or(0.0);
    format!("p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", pct(0.5), pct(0.99), xs.last().copied().unwrap_or(0.0))
}
