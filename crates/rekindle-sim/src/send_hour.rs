//! How a member answers a message by the hour it reaches them (docs/simulator.md, "Send
//! hour"): the planted effect a personal send time is measured against. Everyone has an hour
//! of day they shop at (`Truth::hour`, the hour of their orders); a message arriving within
//! it is read with chance `at_hour`, one arriving `spread_hours` or more away with `away`, and
//! in between on a straight line. A read message is clicked with chance `click`, a click
//! orders with chance `order`, all within 48 hours. Members who left answer nothing.
//!
//! Nothing here runs unless a test asks: the simulated history is the same with or without
//! it. The draws come from the member's own stream 7, three per member in a fixed order, so a
//! member sent at two hours answers with the same luck (common random numbers).

use chrono::{Duration, NaiveDateTime, Timelike};
use rand::Rng;
use rekindle_core::events;
use serde::Serialize;
use serde_json::{Map, json};

use crate::catalogue::PRODUCTS;
use crate::messages::{self, From};
use crate::world::Simulation;

const STREAM: u64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SendHour {
    pub at_hour: f64,
    pub away: f64,
    pub spread_hours: u32,
    pub click: f64,
    pub order: f64,
}

impl Default for SendHour {
    fn default() -> Self {
        Self { at_hour: 0.6, away: 0.25, spread_hours: 4, click: 0.5, order: 0.4 }
    }
}

/// What a member did with one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    pub read: bool,
    pub clicked: bool,
    pub ordered: bool,
    /// `Message Opened`, `Message Clicked` (with `message_id`) and `Order Completed`, as the
    /// store would receive them.
    pub events: Vec<serde_json::Value>,
}

impl SendHour {
    /// The chance a message arriving at local hour `arrived` is read by someone whose hour is
    /// `preferred`.
    pub fn read_chance(&self, preferred: u32, arrived: u32) -> f64 {
        let d = preferred.abs_diff(arrived).min(24 - preferred.abs_diff(arrived));
        let near = 1.0 - f64::from(d.min(self.spread_hours)) / f64::from(self.spread_hours.max(1));
        self.away + (self.at_hour - self.away) * near
    }

    /// How member `i` (`m{seed}-{i}`) answers message `message_id` arriving at `at` (local).
    pub fn answer(&self, sim: &Simulation, i: u64, at: NaiveDateTime, message_id: &str) -> Response {
        let (_, truth) = sim.person(i);
        let mut rng = crate::world::stream(sim.config().seed, i, STREAM);
        let (read, click, order): (f64, f64, f64) = (rng.random(), rng.random(), rng.random());
        let minutes: i64 = rng.random_range(1..60);
        let product = &PRODUCTS[rng.random_range(0..PRODUCTS.len())];
        let mut out = Response::default();
        if !truth.alive_at_end || read >= self.read_chance(truth.hour, at.hour()) {
            return out;
        }
        // Read in their own hour: at once if it is now, else when that hour next comes.
        let hour = (0..24).map(|h| at + Duration::hours(h)).find(|t| t.hour() == truth.hour).unwrap_or(at);
        let read_at = if hour == at { at } else { hour.with_minute(0).unwrap_or(hour) } + Duration::minutes(minutes);
        let member = format!("m{}-{i}", sim.config().seed);
        let from = From { user_id: Some(member), anonymous_id: None, traits: Map::new() };
        let track = |suffix: &str, t: NaiveDateTime, event: &str, props: serde_json::Value| {
            messages::track(format!("sendhour-{message_id}-{suffix}"), &from, t, event, props, "rekindle-sim-app")
        };
        out.read = true;
        out.events.push(track("o", read_at, events::MESSAGE_OPENED, json!({"message_id": message_id})));
        if click >= self.click {
            return out;
        }
        out.clicked = true;
        let clicked_at = read_at + Duration::minutes(1);
        out.events.push(track("c", clicked_at, events::MESSAGE_CLICKED, json!({"message_id": message_id})));
        if order >= self.order {
            return out;
        }
        out.ordered = true;
        let revenue = rekindle_core::money::Fen::new(product.price).unwrap_or_default().to_yuan_number();
        let props = json!({"order_id": format!("sendhour-{message_id}"), "revenue": revenue, "currency": "CNY",
            "products": [{"sku": product.sku, "name": product.name, "category": product.category, "price": revenue, "quantity": 1}]});
        out.events.push(track("p", clicked_at + Duration::minutes(5), events::ORDER_COMPLETED, props));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chance_falls_off_with_the_distance_round_the_clock() {
        let s = SendHour::default();
        assert_eq!(s.read_chance(20, 20), 0.6);
        assert!((s.read_chance(20, 22) - 0.425).abs() < 1e-12);
        assert_eq!(s.read_chance(20, 10), 0.25);
        // 23:00 is an hour from 00:00.
        assert_eq!(s.read_chance(0, 23), s.read_chance(0, 1));
    }
}
