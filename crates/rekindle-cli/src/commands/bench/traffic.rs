//! Ingestion traffic from the store simulator: many people's event streams interleaved, as a
//! live room's audience sends them, cut into `/v1/batch` bodies.
//!
//! Live traffic is stamped as it is sent: each message's `timestamp` is the moment of sending
//! on a clock that starts now and advances 20 µs a message, and a batch's `sentAt` is its last
//! message's. `historical` keeps the simulator's own timestamps instead, spread over 60 days:
//! a backfill pushed through the live endpoints, the worst case for the time indexes.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rekindle_sim::{SimConfig, Simulation};
use serde_json::{Value, json};

/// How many people's streams are open at once: the audience of a busy session.
const AUDIENCE: usize = 2_000;

/// How a batch travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `/v1/batch`: `{"batch": [messages], "sentAt": …}`.
    Segment,
    /// `/sa`: Sensors Data records as its Python SDK's batch consumer posts them (gzipped).
    Sensors,
}

/// `batches` bodies of `batch` messages each in `format`, from up to `people` simulated people
/// over 60 days. Message ids (hashed into Sensors `_track_id`s) get `run` as a prefix, so runs
/// against one database never de-duplicate each other.
pub fn batches(
    format: Format,
    seed: u64,
    people: u64,
    run: &str,
    batches: usize,
    batch: usize,
    historical: bool,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let sim = Simulation::new(SimConfig { people, days: 60, seed, ..SimConfig::default() });
    let mut rng = StdRng::seed_from_u64(seed);
    let mut next_person = 0u64;
    let mut open: Vec<VecDeque<Value>> = Vec::with_capacity(AUDIENCE);
    let refill = |open: &mut Vec<VecDeque<Value>>, next_person: &mut u64| {
        while open.len() < AUDIENCE && *next_person < people {
            open.push(sim.person(*next_person).0.into());
            *next_person += 1;
        }
    };
    let mut bodies = Vec::with_capacity(batches);
    let mut clock = chrono::Utc::now();
    for _ in 0..batches {
        let mut messages = Vec::with_capacity(batch);
        while messages.len() < batch {
            refill(&mut open, &mut next_person);
            anyhow::ensure!(!open.is_empty(), "the simulated people ran out of events; raise --people");
            let i = rng.random_range(0..open.len());
            match open[i].pop_front() {
                Some(mut m) => {
                    let id = m["messageId"].as_str().unwrap_or_default().to_string();
                    m["messageId"] = json!(format!("{run}-{id}"));
                    if !historical {
                        clock += chrono::Duration::microseconds(20);
                        m["timestamp"] = json!(stamp(clock));
                    }
                    messages.push(m);
                }
                None => {
                    open.swap_remove(i);
                }
            }
        }
        let sent_at = if historical { chrono::Utc::now() } else { clock };
        bodies.push(match format {
            Format::Segment => serde_json::to_vec(&json!({"batch": messages, "sentAt": stamp(sent_at)}))?,
            Format::Sensors => {
                let records = messages
                    .iter()
                    .map(|m| {
                        let id = super::sensors_wire::track_id(m["messageId"].as_str().unwrap_or_default());
                        let mut r = super::sensors_wire::record(m, id)?;
                        r["_flush_time"] = json!(sent_at.timestamp_millis());
                        Ok(r)
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                super::sensors_wire::body(&records)?
            }
        });
    }
    Ok(bodies)
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What a paced load achieved.
pub struct LoadReport {
    /// Events per second asked for.
    pub target: f64,
    /// Events acknowledged, and the requests that carried them.
    pub events: usize,
    pub requests: usize,
    /// From the first request to the last acknowledgement.
    pub elapsed: std::time::Duration,
    /// Requests sent more than 100 ms after their slot: the sender could not keep the pace.
    pub late: usize,
    /// `429` answers (retried after 50 ms, as a client would).
    pub refused: usize,
    /// Time to acknowledgement per request, retries included, sorted.
    pub acks: Vec<std::time::Duration>,
}

impl LoadReport {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn ack(&self, p: f64) -> std::time::Duration {
        let i = ((self.acks.len() as f64 * p) as usize).min(self.acks.len().saturating_sub(1));
        self.acks.get(i).copied().unwrap_or_default()
    }

    /// Kept up: within 5% of the asked rate, and no more than 1% of requests late.
    pub fn kept_up(&self) -> bool {
        self.rate() >= self.target * 0.95 && self.late * 100 <= self.requests
    }
}

/// Bodies posted to `url` at `rate` events a second (`per_body` events each), each at its own
/// slot however long earlier ones take (up to 64 in flight), until the bodies run out or
/// `stop` is set.
pub struct PacedLoad {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<anyhow::Result<LoadReport>>,
}

impl PacedLoad {
    pub fn start(
        client: reqwest::Client,
        url: String,
        key: String,
        bodies: Vec<Vec<u8>>,
        per_body: usize,
        rate: f64,
    ) -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::time::{Duration, Instant};
        const IN_FLIGHT: u32 = 64;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let task = tokio::spawn(async move {
            let gap = Duration::from_secs_f64(per_body as f64 / rate.max(1.0));
            let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT as usize));
            let acks = Arc::new(std::sync::Mutex::new(Vec::with_capacity(bodies.len())));
            let refused = Arc::new(AtomicUsize::new(0));
            let failed: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
            let (mut requests, mut late) = (0, 0);
            let started = Instant::now();
            for (k, body) in bodies.into_iter().enumerate() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let slot = started + gap * k as u32;
                tokio::time::sleep_until(slot.into()).await;
                let permit = slots.clone().acquire_owned().await?;
                if slot.elapsed() > Duration::from_millis(100) {
                    late += 1;
                }
                requests += 1;
                let (client, url, key) = (client.clone(), url.clone(), key.clone());
                let (acks, refused, failed) = (acks.clone(), refused.clone(), failed.clone());
                tokio::spawn(async move {
                    let _permit = permit;
                    let t = Instant::now();
                    loop {
                        let sent = client
                            .post(&url)
                            .basic_auth(&key, Some(""))
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status().is_success() => break,
                            Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                                refused.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            Ok(r) => {
                                *failed.lock().unwrap_or_else(|p| p.into_inner()) =
                                    Some(format!("HTTP {}", r.status()));
                                return;
                            }
                            Err(e) => {
                                *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                                return;
                            }
                        }
                    }
                    acks.lock().unwrap_or_else(|p| p.into_inner()).push(t.elapsed());
                });
            }
            // Every request in flight answered.
            let _all = slots.acquire_many(IN_FLIGHT).await?;
            let elapsed = started.elapsed();
            if let Some(e) = failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
                anyhow::bail!("the ingestion load failed: {e}");
            }
            let mut acks = std::mem::take(&mut *acks.lock().unwrap_or_else(|p| p.into_inner()));
            acks.sort();
            Ok(LoadReport {
                target: rate,
                events: acks.len() * per_body,
                requests,
                elapsed,
                late,
                refused: refused.load(Ordering::Relaxed),
                acks,
            })
        });
        Self { stop, task }
    }

    /// Stop sending and wait for what is in flight.
    pub async fn finish(self) -> anyhow::Result<LoadReport> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await?
    }
}
