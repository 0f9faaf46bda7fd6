//! A person's profile: features folded from their events (DESIGN.md, Capabilities 2).
//!
//! The fold is built so that order does not matter: every field is a minimum, a maximum, a
//! sum, or a set keyed by an id the events carry (order ids, ticket ids, purchase days).
//! Applying events in any order, late ones included, and merging two people's profiles when
//! OneID merges them, gives the same profile as folding all the events from scratch. Features
//! that depend on "now" (spend in the last 30 days, days since the last order) are answered at
//! evaluation time from what is kept, so the profile never goes stale as time passes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

/// One event, as the profile reads it.
#[derive(Debug, Clone, Copy)]
pub struct ProfileEvent<'a> {
    pub at: DateTime<Utc>,
    pub name: &'a str,
    /// The event's `properties` object (`Value::Null` when it has none).
    pub properties: &'a Value,
}

/// An order, kept by its id so a resent `Order Completed` counts once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Order {
    pub at: DateTime<Utc>,
    pub revenue_fen: i64,
    pub items: Vec<Item>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    pub category: Option<String>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub units: i64,
}

impl Item {
    /// Whether `what` names this item: its SKU or category exactly, or a part of its name.
    pub fn is(&self, what: &str) -> bool {
        self.sku.as_deref() == Some(what)
            || self.category.as_deref() == Some(what)
            || self.name.as_deref().is_some_and(|n| n.contains(what))
    }
}

/// What a person bought of one category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryHistory {
    /// Days (UTC) with an order containing the category: the purchase count and intervals
    /// count days, so two orders on one day are one purchase occasion.
    pub days: BTreeSet<NaiveDate>,
    pub last_purchase: Option<DateTime<Utc>>,
    pub units: i64,
}

impl CategoryHistory {
    pub fn purchases(&self) -> usize {
        self.days.len()
    }

    /// Median days between consecutive purchase days; `None` with fewer than two.
    pub fn median_interval_days(&self) -> Option<f64> {
        let days: Vec<NaiveDate> = self.days.iter().copied().collect();
        let mut gaps: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
        if gaps.is_empty() {
            return None;
        }
        gaps.sort_unstable();
        let n = gaps.len();
        Some(if n % 2 == 1 { gaps[n / 2] as f64 } else { (gaps[n / 2 - 1] + gaps[n / 2]) as f64 / 2.0 })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Orders by order id.
    pub orders: BTreeMap<String, Order>,
    /// Refunded amount by order id.
    pub refunds_fen: BTreeMap<String, i64>,
    pub live_watch_seconds: i64,
    /// Seconds watched per live session id.
    pub watched_by_session: BTreeMap<String, i64>,
    /// The last time the person was in a live room (entered or watched).
    pub last_live: Option<DateTime<Utc>>,
    pub comments: u32,
    pub likes: u32,
    pub shares: u32,
    /// The last message Rekindle delivered, opened or clicked for this person.
    pub last_touch: Option<DateTime<Utc>>,
    pub tickets_opened: BTreeMap<String, DateTime<Utc>>,
    pub tickets_resolved: BTreeSet<String>,
    /// When the person's WeCom contact was last added and last removed.
    pub contact_added: Option<DateTime<Utc>>,
    pub contact_removed: Option<DateTime<Utc>>,
}

fn min(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(a.map_or(b, |a| a.min(b)))
}

fn max(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(a.map_or(b, |a| a.max(b)))
}

/// An id-like property as text: a string (empty means absent) or a number written bare.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Money as events carry it: integer fen; a fraction is rounded rather than dropped.
pub fn fen(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or_else(|| n.as_f64().map_or(0, |f| f.round() as i64)),
        _ => 0,
    }
}

impl Profile {
    /// Fold one event in.
    pub fn apply(&mut self, e: ProfileEvent) {
        self.first_seen = min(self.first_seen, e.at);
        self.last_seen = max(self.last_seen, e.at);
        let p = e.properties;
        match e.name {
            "Order Completed" => self.apply_order(e),
            "Order Refunded" => {
                if let Some(id) = text(p.get("order_id")) {
                    *self.refunds_fen.entry(id).or_default() += fen(p.get("amount"));
                }
            }
            "Live Watched" => {
                let seconds = p.get("seconds").and_then(Value::as_i64).unwrap_or(0).max(0);
                self.live_watch_seconds += seconds;
                if let Some(session) = text(p.get("session_id")) {
                    *self.watched_by_session.entry(session).or_default() += seconds;
                }
                self.last_live = max(self.last_live, e.at);
            }
            "Live Entered" => self.last_live = max(self.last_live, e.at),
            "Live Commented" => self.comments += 1,
            "Live Liked" => self.likes += 1,
            "Live Shared" => self.shares += 1,
            "Message Delivered" | "Message Opened" | "Message Clicked" => self.last_touch = max(self.last_touch, e.at),
            "Ticket Opened" => {
                if let Some(id) = text(p.get("ticket_id")) {
                    let at = self.tickets_opened.get(&id).map_or(e.at, |t| (*t).min(e.at));
                    self.tickets_opened.insert(id, at);
                }
            }
            "Ticket Resolved" => {
                if let Some(id) = text(p.get("ticket_id")) {
                    self.tickets_resolved.insert(id);
                }
            }
            "Contact Added" => self.contact_added = max(self.contact_added, e.at),
            "Contact Removed" => self.contact_removed = max(self.contact_removed, e.at),
            _ => {}
        }
    }

    fn apply_order(&mut self, e: ProfileEvent) {
        let p = e.properties;
        // Without an order id the event time stands in for one: the same event resent is the
        // same order, two orders at different times are two.
        let id = text(p.get("order_id")).unwrap_or_else(|| format!("@{}", e.at.timestamp_millis()));
        let items = p
            .get("products")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|x| Item {
                        category: text(x.get("category")),
                        sku: text(x.get("sku")),
                        name: text(x.get("name")),
                        units: x.get("quantity").and_then(Value::as_i64).unwrap_or(1),
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.keep_order(id, Order { at: e.at, revenue_fen: fen(p.get("revenue")), items });
    }

    /// Two reports of one order id keep the smaller, so the outcome is the same whichever
    /// arrives first.
    fn keep_order(&mut self, id: String, order: Order) {
        match self.orders.get(&id) {
            Some(kept) if *kept <= order => {}
            _ => {
                self.orders.insert(id, order);
            }
        }
    }

    /// Purchase history per category, from the kept orders' line items.
    pub fn categories(&self) -> BTreeMap<String, CategoryHistory> {
        let mut out: BTreeMap<String, CategoryHistory> = BTreeMap::new();
        for order in self.orders.values() {
            for item in &order.items {
                let Some(category) = &item.category else { continue };
                let c = out.entry(category.clone()).or_default();
                c.days.insert(order.at.date_naive());
                c.last_purchase = max(c.last_purchase, order.at);
                c.units += item.units;
            }
        }
        out
    }

    /// The orders with an item `what` names (see [`Item::is`]), oldest first.
    pub fn orders_of<'a>(&'a self, what: &'a str) -> impl Iterator<Item = &'a Order> + 'a {
        let mut orders: Vec<&Order> = self.orders.values().filter(|o| o.items.iter().any(|i| i.is(what))).collect();
        orders.sort();
        orders.into_iter()
    }

    /// Median days between consecutive orders; `None` with fewer than two orders.
    pub fn median_order_interval_days(&self) -> Option<f64> {
        let mut times: Vec<DateTime<Utc>> = self.orders.values().map(|o| o.at).collect();
        times.sort();
        let mut gaps: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]).num_seconds() as f64 / 86_400.0).collect();
        if gaps.is_empty() {
            return None;
        }
        gaps.sort_by(f64::total_cmp);
        let n = gaps.len();
        Some(if n % 2 == 1 { gaps[n / 2] } else { (gaps[n / 2 - 1] + gaps[n / 2]) / 2.0 })
    }

    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    pub fn first_order(&self) -> Option<DateTime<Utc>> {
        self.orders.values().map(|o| o.at).min()
    }

    pub fn last_order(&self) -> Option<DateTime<Utc>> {
        self.orders.values().map(|o| o.at).max()
    }

    /// Spend net of refunds, over all time.
    pub fn spend_fen(&self) -> i64 {
        self.orders.values().map(|o| o.revenue_fen).sum::<i64>() - self.refunds_fen.values().sum::<i64>()
    }

    /// Spend on orders in the `days` before `now` (refunds not netted: they may come later).
    pub fn spend_within(&self, now: DateTime<Utc>, days: i64) -> i64 {
        let since = now - Duration::days(days);
        self.orders.values().filter(|o| o.at > since && o.at <= now).map(|o| o.revenue_fen).sum()
    }

    /// Average order value, in fen.
    pub fn aov_fen(&self) -> Option<i64> {
        let n = self.orders.len() as i64;
        (n > 0).then(|| self.orders.values().map(|o| o.revenue_fen).sum::<i64>() / n)
    }

    /// Tickets opened and not resolved, with when they were opened.
    pub fn open_tickets(&self) -> impl Iterator<Item = (&str, DateTime<Utc>)> {
        self.tickets_opened
            .iter()
            .filter(|(id, _)| !self.tickets_resolved.contains(*id))
            .map(|(id, at)| (id.as_str(), *at))
    }

    /// Whether the person can be reached through WeCom: added and not removed since.
    pub fn reachable(&self) -> bool {
        match (self.contact_added, self.contact_removed) {
            (Some(added), Some(removed)) => added > removed,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// Fold another person's profile in: what OneID does when it merges them into this one.
    pub fn merge(&mut self, other: &Profile) {
        if let Some(t) = other.first_seen {
            self.first_seen = min(self.first_seen, t);
        }
        if let Some(t) = other.last_seen {
            self.last_seen = max(self.last_seen, t);
        }
        for (id, order) in &other.orders {
            self.keep_order(id.clone(), order.clone());
        }
        for (id, amount) in &other.refunds_fen {
            *self.refunds_fen.entry(id.clone()).or_default() += amount;
        }
        self.live_watch_seconds += other.live_watch_seconds;
        for (session, seconds) in &other.watched_by_session {
            *self.watched_by_session.entry(session.clone()).or_default() += seconds;
        }
        if let Some(t) = other.last_live {
            self.last_live = max(self.last_live, t);
        }
        self.comments += other.comments;
        self.likes += other.likes;
        self.shares += other.shares;
        if let Some(t) = other.last_touch {
            self.last_touch = max(self.last_touch, t);
        }
        for (id, at) in &other.tickets_opened {
            let at = self.tickets_opened.get(id).map_or(*at, |t| (*t).min(*at));
            self.tickets_opened.insert(id.clone(), at);
        }
        self.tickets_resolved.extend(other.tickets_resolved.iter().cloned());
        if let Some(t) = other.contact_added {
            self.contact_added = max(self.contact_added, t);
        }
        if let Some(t) = other.contact_removed {
            self.contact_removed = max(self.contact_removed, t);
        }
    }
}

#[cfg(test)]
mod tests;
