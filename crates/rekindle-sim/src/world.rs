//! The simulation: one person at a time, day by day, on the person's own random stream.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::Value;

use crate::life::PersonSim;
use crate::life::winback::{Winback, WinbackSilence};
use crate::live::LiveEffects;
use crate::person::{Channel, Persona};
use crate::schedule::{self, LiveSession};
use crate::wecom::{self, Source, SourceLtv, Staff, StaffLink};

#[derive(Debug, Clone, Serialize)]
pub struct SimConfig {
    pub people: u64,
    pub days: u32,
    pub seed: u64,
    /// First day of the window (local date).
    pub start: NaiveDate,
    /// The store's win-back programme and its planted effect; none runs without it.
    pub winback: Option<Winback>,
    /// The live room's planted effects: reply time, stalls, weekdays that keep viewers.
    pub live: LiveEffects,
    /// The planted value of each acquisition source ([`SourceLtv`]); none (the default) plants
    /// nothing and every source is worth the same. [`SimConfig::demo`] plants it: it changes
    /// the lives of a third of the people, which the stores other tests were tuned on must not.
    pub ltv: Option<SourceLtv>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            people: 20_000,
            days: 180,
            seed: 1,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            winback: Some(Winback::default()),
            live: LiveEffects::default(),
            ltv: None,
        }
    }
}

impl SimConfig {
    /// The demo's store (`rekindle demo`, `rekindle generate`): the defaults, with the
    /// acquisition sources' value planted, so LTV by source has something to find.
    pub fn demo() -> Self {
        Self { ltv: Some(SourceLtv::default()), ..Self::default() }
    }
}

/// What the simulator knows and the store must infer, per person.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// The id the store will know them best by: the member id once they ordered, else the device.
    pub id: String,
    pub persona: Persona,
    pub channel: Channel,
    pub acquired_at: String,
    /// Spontaneous orders per day while active.
    pub purchase_rate: f64,
    /// Chance of leaving after each order.
    pub dropout_probability: f64,
    /// How much price per pack decides what they buy, 0–1.
    pub price_sensitivity: f64,
    /// When they left, if they did and were not won back since: a person the win-back
    /// programme wins back is a customer again, and may leave again.
    pub dropped_out_at: Option<String>,
    pub alive_at_end: bool,
    pub orders: u32,
    /// Spend in fen over the window.
    pub spend: i64,
    /// Per category: when what they last bought runs out (local date), as of the window's end.
    pub next_depletion: BTreeMap<&'static str, String>,
    pub invited_by: Option<String>,
    /// Who invited them into the group they joined (seed 002), by openid.
    pub group_invited_by: Option<String>,
    /// Each time the win-back programme saw them go silent, in time order.
    pub winback: Vec<WinbackSilence>,
    /// Where their first friendship with a staff member came from, and its channel code
    /// (none for people who added nobody: most who came through a group or a live room).
    pub source: Option<Source>,
    pub code: Option<String>,
    /// Their friendships with staff members, in the order they began ([`crate::wecom`]).
    pub staff: Vec<StaffLink>,
    /// The hour of day (local) they shop and read their messages at ([`crate::send_hour`]).
    /// Not written to the truth file, which stays as it was.
    #[serde(skip)]
    pub hour: u32,
}

/// Where the simulation writes.
pub struct Output<'a> {
    pub events: &'a mut dyn Write,
    pub truth: &'a mut dyn Write,
}

pub struct Simulation {
    config: SimConfig,
    sessions: Vec<LiveSession>,
}

impl Simulation {
    pub fn new(config: SimConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let sessions = schedule::generate(&mut rng, config.start, config.days, &config.live);
        Self { config, sessions }
    }

    /// What was simulated, the planted effects (win-back programme, live room) included.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    pub fn sessions(&self) -> &[LiveSession] {
        &self.sessions
    }

    /// The store's WeCom staff members, with the one who leaves during the window.
    pub fn staff(&self) -> Vec<Staff> {
        wecom::roster(&self.config)
    }

    pub fn products(&self) -> Vec<rekindle_core::objects::Product> {
        crate::catalogue::objects()
    }

    pub fn session_objects(&self) -> Vec<rekindle_core::objects::LiveSession> {
        self.sessions.iter().map(LiveSession::object).collect()
    }

    /// Simulate everyone, streaming events and truth. Returns the number of events written.
    pub fn run(&self, out: &mut Output) -> io::Result<u64> {
        let mut written = 0;
        for i in 0..self.config.people {
            let (events, truth) = self.person(i);
            for e in &events {
                serde_json::to_writer(&mut *out.events, e)?;
                out.events.write_all(b"\n")?;
            }
            serde_json::to_writer(&mut *out.truth, &truth)?;
            out.truth.write_all(b"\n")?;
            written += events.len() as u64;
        }
        Ok(written)
    }

    /// One person's events and truth.
    pub fn person(&self, i: u64) -> (Vec<Value>, Truth) {
        // A stream per person: the same person is the same whatever else is simulated.
        let mut rng = stream(self.config.seed, i, 0);
        // The win-back programme draws from a second stream of the same key: the person's own
        // draws are the same with the programme on or off until a won-back order changes them.
        let programme = stream(self.config.seed, i, 1);
        // The live room's planted effects draw from a third: a person they do not touch lives
        // the same life with them or without them.
        let room = stream(self.config.seed, i, 2);
        // Conversations and after-sales follow-ups draw from a fourth (the level nudge has 3).
        let chat = stream(self.config.seed, i, 4);
        // Friendships with staff members from a fifth (`life::ties`).
        let ties = stream(self.config.seed, i, WECOM_STREAM);
        let streams = crate::life::Streams { programme, room, chat, ties };
        let mut p = PersonSim::new(&self.config, &self.sessions, i, &mut rng, streams);
        p.live(&mut rng);
        p.finish()
    }
}

/// The stream of person `i`'s friendships with staff members.
pub(crate) const WECOM_STREAM: u64 = 5;

/// Stream `n` of person `i`'s key: 0 their life, 1 the win-back programme, 2 the live room,
/// 3 the level nudge, 4 conversations, 5 WeCom friendships, 6 the programme effect.
pub(crate) fn stream(seed: u64, i: u64, n: u64) -> ChaCha8Rng {
    let seed = seed ^ (i.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if n > 0 {
        rng.set_stream(n);
    }
    rng
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: the demo's history must end at the present; after-sales follow-ups of the
    /// last days' orders were dated after the window, so "today" had events from the future.
    #[test]
    fn nothing_happens_after_the_window() {
        let config = SimConfig { people: 400, days: 30, seed: 3, ..SimConfig::default() };
        let end = format!("{}T00:00:00+08:00", config.start + chrono::Days::new(30));
        let sim = Simulation::new(config);
        let mut seen = 0;
        for i in 0..400 {
            for e in sim.person(i).0 {
                let t = e["timestamp"].as_str().unwrap().to_string();
                assert!(t < end, "{t} is after the window's end {end}");
                seen += 1;
            }
        }
        assert!(seen > 1000, "{seen} events");
    }
}
