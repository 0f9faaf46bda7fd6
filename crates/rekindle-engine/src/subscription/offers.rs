//! Whom to offer a subscription: people whose own repurchase cycle of a product is regular
//! (`rekindle_core::subscription::cycle`), read off the engine's folded profiles, leaving out
//! the products they already subscribe to.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rekindle_core::PersonId;
use rekindle_core::subscription::schedule::Status;
use rekindle_core::subscription::{Book, Cycle, Regularity, Settings, cycle, timeline};
use serde::Serialize;

use crate::Audience;

/// One person and one product whose cycle fits a subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    pub person: PersonId,
    pub sku: String,
    pub product_name: Option<String>,
    /// Orders with the product.
    pub purchases: usize,
    pub last_purchase: DateTime<Utc>,
    pub cycle: Cycle,
    /// The cadence to offer.
    pub every_days: u16,
}

/// The offers, the steadiest cycles (lowest variation) first.
pub fn offers(audience: &Audience, book: &Book, settings: &Settings, tz: Tz, rule: &Regularity) -> Vec<Offer> {
    let today = rekindle_core::outreach::local_day(audience.now, tz);
    // (person, sku) of the subscriptions running now.
    let subscribed: HashSet<(PersonId, String)> = book
        .subscriptions
        .values()
        .filter_map(|s| {
            let tl = timeline(s, settings, tz, today);
            let running = matches!(tl.status(), Some(Status::Active | Status::Paused));
            tl.terms.filter(|_| running).map(|t| (s.person, t.sku))
        })
        .collect();
    let mut out = Vec::new();
    for m in &audience.members {
        let mut by_sku: BTreeMap<&str, (Vec<DateTime<Utc>>, Option<&str>)> = BTreeMap::new();
        for (_, order) in &m.profile.orders {
            let mut seen = HashSet::new();
            for item in order.items.iter() {
                let Some(sku) = item.sku() else { continue };
                if !seen.insert(sku) {
                    continue;
                }
                let e = by_sku.entry(sku).or_default();
                e.0.push(order.at);
                e.1 = e.1.or(item.name());
            }
        }
        for (sku, (times, name)) in by_sku {
            if subscribed.contains(&(m.person, sku.to_owned())) {
                continue;
            }
            let c = cycle(&times, tz, rule);
            let Some(every_days) = c.offer_every_days else { continue };
            out.push(Offer {
                person: m.person,
                sku: sku.to_owned(),
                product_name: name.map(str::to_owned),
                purchases: times.len(),
                last_purchase: times.iter().copied().max().unwrap_or(audience.now),
                cycle: c,
                every_days,
            });
        }
    }
    out.sort_by(|a, b| {
        let cv = |o: &Offer| o.cycle.cv.unwrap_or(f64::MAX);
        cv(a).total_cmp(&cv(b)).then_with(|| (a.person, &a.sku).cmp(&(b.person, &b.sku)))
    });
    out
}
