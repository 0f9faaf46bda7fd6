//! How members answer a nudge towards the next level: the planted effect a level-progress
//! journey's readout must find (seed 002: "再买80元就能升级为银卡会员" lifted conversion by 42%).
//!
//! Rekindle decides who is close to the next level, holds some out and sends the rest a
//! message through a real channel; the simulator is told who received one. Every member would
//! order within the window on their own with their own chance (from their purchase rate, none
//! once they left); a member who was told orders with that chance plus `lift` of the rest.
//! One draw per member serves both arms (common random numbers), so the arms differ only by
//! the message (docs/simulator.md, "The level nudge").

use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use rekindle_core::events;
use serde::Serialize;
use serde_json::{Map, json};

use crate::catalogue::PRODUCTS;
use crate::messages::{self, From};
use crate::world::Simulation;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelNudge {
    /// The planted effect: of the members who would not have ordered, the share a received
    /// message brings to order.
    pub lift: f64,
    /// Days after the message an order counts (the journey's goal window).
    pub window_days: u32,
}

impl Default for LevelNudge {
    fn default() -> Self {
        Self { lift: 0.3, window_days: 7 }
    }
}

impl LevelNudge {
    /// Whether member `i` (the simulation's `m{seed}-{i}`) orders within the window after
    /// `at` (local time), having received the message or not; the order as the store's order
    /// system sends it.
    pub fn answer(&self, sim: &Simulation, i: u64, received: bool, at: NaiveDateTime) -> Option<serde_json::Value> {
        let planted = Planted { lift: self.lift, window_days: self.window_days, stream: 3, prefix: "nudge" };
        planted.answer(sim, i, received, at)
    }
}

/// An answer to a touch, planted: the member's own chance of ordering within the window, plus
/// `lift` of the rest if they received it; drawn from the member's stream `stream`, so nothing
/// else the simulator does changes (docs/simulator.md).
pub(crate) struct Planted {
    pub lift: f64,
    pub window_days: u32,
    pub stream: u64,
    /// Orders are named `{prefix}-{seed}-{i}`.
    pub prefix: &'static str,
}

impl Planted {
    /// The member's own chance of ordering within the window: from their purchase rate, none
    /// once they left.
    pub fn own(&self, sim: &Simulation, i: u64) -> f64 {
        let (_, truth) = sim.person(i);
        if truth.alive_at_end { 1.0 - (-truth.purchase_rate * f64::from(self.window_days)).exp() } else { 0.0 }
    }

    pub fn answer(&self, sim: &Simulation, i: u64, received: bool, at: NaiveDateTime) -> Option<serde_json::Value> {
        let own = self.own(sim, i);
        let chance = if received { own + self.lift * (1.0 - own) } else { own };
        let mut rng = crate::world::stream(sim.config().seed, i, self.stream);
        if rng.random::<f64>() >= chance {
            return None;
        }
        let minutes = rng.random_range(60..i64::from(self.window_days.max(1)) * 1440 - 60);
        let when = at + Duration::minutes(minutes);
        let product = &PRODUCTS[rng.random_range(0..PRODUCTS.len())];
        let member = format!("m{}-{i}", sim.config().seed);
        let order_id = format!("{}-{}-{i}", self.prefix, sim.config().seed);
        let revenue = rekindle_core::money::Fen::new(product.price).unwrap_or_default().to_yuan_number();
        let props = json!({"order_id": order_id, "revenue": revenue, "currency": "CNY", "products": [
            {"sku": product.sku, "name": product.name, "category": product.category, "price": revenue, "quantity": 1}]});
        let from = From { user_id: Some(member), anonymous_id: None, traits: Map::new() };
        Some(messages::track(
            format!("{order_id}-m"),
            &from,
            when,
            events::ORDER_COMPLETED,
            props,
            "rekindle-sim-orders",
        ))
    }
}
