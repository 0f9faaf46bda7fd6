//! An order: what goes in the basket, what it costs, and the after-sales trouble that may follow.

use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rekindle_core::events;
use serde_json::{Map, Value, json};

use super::PersonSim;
use crate::messages::{self, From};

impl PersonSim<'_> {
    /// Whether an order was placed: none when nothing of the categories is on sale.
    pub(super) fn order(
        &mut self,
        at: NaiveDateTime,
        categories: &[usize],
        session: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) -> bool {
        let day = at.date();
        let mut products = Vec::new();
        let mut revenue = 0;
        for c in categories {
            let Some(p) = self.pick(*c, day, rng) else { continue };
            let quantity: i64 = if rng.random_bool(0.2) { 2 } else { 1 };
            revenue += p.price * quantity;
            let lasts = f64::from(p.category().cycle_days)
                * f64::from(p.pack_size)
                * quantity as f64
                * rng.random_range(0.8..1.25);
            self.stock.insert(*c, at + Duration::minutes((lasts * 1440.0) as i64));
            products.push(
                json!({"sku": p.sku, "name": p.name, "category": p.category, "price": yuan(p.price), "quantity": quantity}),
            );
        }
        if products.is_empty() {
            return false;
        }
        if self.member.is_none() {
            // Ordering makes them a member: the order system knows the member id and phone.
            let member = format!("m{}-{}", self.config.seed, self.i);
            self.member = Some(member.clone());
            let mut traits = Map::new();
            traits.insert("phone".into(), json!(self.phone));
            traits.insert("wechat_openid".into(), json!(self.openid));
            traits.insert("nickname".into(), json!(format!("会员{}", self.i)));
            if let Some(by) = &self.invited_by {
                traits.insert("invited_by".into(), json!(by));
            }
            let from = From { user_id: Some(member), anonymous_id: Some(self.anon.clone()), traits: Map::new() };
            let id = self.next_id();
            self.push(messages::identify(id, &from, at - Duration::seconds(30), traits, "rekindle-sim-orders"));
        }
        self.orders += 1;
        self.spend += revenue;
        if let Some(w) = &mut self.winback {
            w.placed.push(at);
        }
        let order_id = format!("o{}-{}-{}", self.config.seed, self.i, self.orders);
        let mut props =
            json!({"order_id": order_id, "revenue": yuan(revenue), "currency": "CNY", "products": products});
        if let Some(s) = session {
            props["session_id"] = json!(s);
        }
        let from = From { user_id: self.member.clone(), anonymous_id: None, traits: Map::new() };
        let id = self.next_id();
        self.push(messages::track(id, &from, at, events::ORDER_COMPLETED, props, "rekindle-sim-orders"));

        // After-sales trouble on delivery the next day raises the chance of leaving.
        let mut leave = self.traits.dropout;
        if rng.random_bool(0.05) {
            let (extra, resolved) = self.after_sales(&from, at, &order_id, rng);
            // Half the troubled orders are refunded when the ticket is resolved.
            if rng.random_bool(0.5) {
                let id = self.next_id();
                self.push(messages::track(
                    id,
                    &from,
                    resolved,
                    events::ORDER_REFUNDED,
                    json!({"order_id": order_id, "amount": yuan(revenue)}),
                    "rekindle-sim-orders",
                ));
            }
            leave = (leave + extra).min(1.0);
        }
        leave = (leave + self.write_in(at)).min(1.0);
        // What their acquisition source is worth divides it (1 for most: no change).
        if rng.random_bool((leave * self.leave_factor / self.value).clamp(0.0, 1.0)) {
            self.alive = false;
            self.dropped = Some(at);
        }
        true
    }
}

/// An amount in fen as events carry it: yuan, as Segment's e-commerce spec says.
fn yuan(fen: i64) -> Value {
    rekindle_core::money::Fen::new(fen).unwrap_or_default().to_yuan_number()
}
