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

/// `batches` bodies of `batch` messages each, from up to `people` simulated people over 60 days.
/// Message ids get `run` as a prefix, so runs against one database never de-duplicate each other.
pub fn batches(
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
        bodies.push(serde_json::to_vec(&json!({"batch": messages, "sentAt": stamp(sent_at)}))?);
    }
    Ok(bodies)
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
