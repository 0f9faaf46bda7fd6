//! How people answer the store's marketing as a whole: the planted effect the programme
//! readout (treated against the global control group) must find.
//!
//! Rekindle holds its control group out of every marketing journey and runs the others; the
//! simulator is told who received any marketing message in the window. Everyone — control or
//! not, told or not — would order within the window on their own with their own chance (from
//! their purchase rate, none once they left); someone who received a message orders with that
//! chance plus `lift` of the rest. One draw per person on their own stream (6) serves both
//! cases (common random numbers), so the groups differ only by the messages, and nothing else
//! the simulator writes changes. Off unless asked: the simulation's own output never calls it
//! (docs/simulator.md, "The programme effect").

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::nudge::Planted;
use crate::world::Simulation;

/// The stream of a person's key the programme effect draws from.
const STREAM: u64 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProgrammeLift {
    /// Of the people who would not have ordered, the share any received marketing message
    /// brings to order.
    pub lift: f64,
    /// Days after `at` an order counts.
    pub window_days: u32,
}

impl Default for ProgrammeLift {
    fn default() -> Self {
        Self { lift: 0.25, window_days: 28 }
    }
}

impl ProgrammeLift {
    fn planted(&self) -> Planted {
        Planted { lift: self.lift, window_days: self.window_days, stream: STREAM, prefix: "programme" }
    }

    /// Person `i`'s (`m{seed}-{i}`) order within the window after `at` (local time), having
    /// received a marketing message or not.
    pub fn answer(&self, sim: &Simulation, i: u64, received: bool, at: NaiveDateTime) -> Option<serde_json::Value> {
        self.planted().answer(sim, i, received, at)
    }

    /// What the effect adds to person `i`'s chance of ordering if they receive a message: the
    /// truth a readout is checked against.
    pub fn added_chance(&self, sim: &Simulation, i: u64) -> f64 {
        self.lift * (1.0 - self.planted().own(sim, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    /// Common random numbers: a message only ever adds an order (the same one a person would
    /// have placed anyway stays the same), and the orders it adds come to the planted chance.
    #[test]
    fn a_message_only_adds_orders_and_about_the_planted_share() {
        let n = 1500u64;
        let sim = Simulation::new(SimConfig { people: n, days: 60, seed: 5, winback: None, ..SimConfig::default() });
        let lift = ProgrammeLift::default();
        let at = "2026-03-02T10:00:00".parse().unwrap();
        let (mut added, mut variance, mut more) = (0.0, 0.0, 0u64);
        for i in 0..n {
            let (untold, told) = (lift.answer(&sim, i, false, at), lift.answer(&sim, i, true, at));
            if untold.is_some() {
                assert_eq!(told, untold, "person {i} orders the same whether told or not");
            }
            more += u64::from(told.is_some() && untold.is_none());
            let a = lift.added_chance(&sim, i);
            added += a;
            variance += a * (1.0 - a);
        }
        let tolerance = 4.0 * variance.sqrt();
        assert!((more as f64 - added).abs() < tolerance, "{more} orders added, {added:.1} planted");
        assert!(more > 0);
    }
}
