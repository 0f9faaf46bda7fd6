//! Subscriptions (定期购, docs/subscriptions.md): each workspace's [`Book`] built once from the
//! subscription events and then followed along the log after its cursor (merges included, an
//! erasure rebuilds it), like the service desk; the confirmations due now, as the `Shipment
//! Confirmation Requested` events to write back through the ingestor; and whom to offer a
//! subscription, from the folded profiles.

mod link;
mod offers;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use rekindle_core::subscription::{Book, Due, due};
use rekindle_core::{Message, PersonId, WorkspaceId, events};
use rekindle_store::{PersonRef, Store};
use serde_json::{Value, json};

pub use link::{BadToken, Claim, Links};
pub use offers::{Offer, offers};

use crate::Engine;
use crate::follow::{Fold, Follower};

/// How long an answer link stays open after the shipment's cut-off: late taps still see the
/// page (and why it can no longer be answered), and may still pause.
pub const LINK_DAYS_AFTER_CUTOFF: i64 = 14;

impl Fold for Book {
    const NAMES: &'static [&'static str] = events::SUBSCRIPTION_EVENTS;

    fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value, _library: Option<&str>) {
        Book::apply(self, person, at, name, properties);
    }

    fn merge(&mut self, from: PersonId, into: PersonId) {
        Book::merge(self, from, into);
    }
}

pub struct Subscriptions {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    links: Links,
    /// Each workspace's book, followed along the log (see [`crate::follow`]).
    books: Follower<Book>,
    /// Confirmations handed out and not folded back yet (their events are on the way).
    asked: Mutex<HashMap<WorkspaceId, HashSet<String>>>,
}

/// The message id of the confirmation of one shipment: the same for every tick, so it is
/// written once however often it is handed out.
pub fn ask_key(subscription_id: &str, ship_on: chrono::NaiveDate) -> String {
    let id = if subscription_id.len() <= 64 && subscription_id.chars().all(|c| c.is_ascii_graphic()) {
        subscription_id.to_owned()
    } else {
        use sha2::Digest;
        hex_of(&sha2::Sha256::digest(subscription_id.as_bytes())[..16])
    };
    format!("rekindle:subscription-ask:{id}:{ship_on}")
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Subscriptions {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>, links: Links) -> Self {
        Self {
            books: Follower::new(store.clone(), engine.log().clone()),
            store,
            engine,
            links,
            asked: Mutex::default(),
        }
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    /// Look at the book, brought up to the end of the log.
    pub async fn look<R>(&self, ws: WorkspaceId, look: impl FnOnce(&Book) -> R) -> rekindle_store::Result<R> {
        self.books.look(ws, look).await
    }

    /// Forget the workspace's book: built again from the log when next looked at (after an
    /// erasure, whose events are gone from the log).
    pub fn reset(&self, ws: WorkspaceId) {
        self.books.reset(ws);
    }

    /// Forget what was handed out: it was not recorded, and is due again.
    pub fn forget(&self, ws: WorkspaceId) {
        self.asked.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    /// The answer link of a shipment.
    pub fn link(&self, ws: WorkspaceId, d: &Due) -> String {
        let expires = d.cutoff_at + Duration::days(LINK_DAYS_AFTER_CUTOFF);
        self.links.url(&Claim { ws, subscription_id: d.subscription_id.clone(), ship_on: d.ship_on, expires })
    }

    /// The `Shipment Confirmation Requested` events due now (by the engine's clock) and not
    /// handed out yet, each addressed to the subscriber and carrying what the message says.
    pub async fn due(&self, ws: WorkspaceId) -> rekindle_store::Result<Vec<Message>> {
        let settings = self.store.subscription_settings(ws).await?;
        let tz = self.store.calendar(ws).await?.tz;
        let now = self.engine.now();
        let list = self.look(ws, |book| due(book, &settings, tz, now)).await?;
        let keys: Vec<String> = list.iter().map(|d| ask_key(&d.subscription_id, d.ship_on)).collect();
        let fresh: Vec<(Due, String)> = {
            let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
            let set = asked.entry(ws).or_default();
            // What was folded back is no longer due: forgotten, so the set stays small.
            let still: HashSet<&String> = keys.iter().collect();
            set.retain(|k| still.contains(k));
            list.into_iter().zip(keys).filter(|(_, k)| set.insert(k.clone())).collect()
        };
        if fresh.is_empty() {
            return Ok(vec![]);
        }
        let names: HashMap<String, String> =
            self.store.products(ws).await?.into_iter().map(|p| (p.sku, p.name)).collect();
        let mut out = Vec::new();
        for (d, key) in fresh {
            let Some(person) = self.store.person(ws, &PersonRef::Id(d.person)).await? else { continue };
            let cutoff = d.cutoff_at.with_timezone(&tz);
            let props = json!({
                "subscription_id": d.subscription_id,
                "ship_on": d.ship_on,
                "sku": d.sku,
                "product_name": names.get(&d.sku),
                "quantity": d.quantity,
                "amount_fen": d.amount_fen,
                "cutoff_at": d.cutoff_at,
                "deadline": cutoff.format("%-m月%-d日 %H:%M").to_string(),
                "answer_link": self.link(ws, &d),
            });
            match crate::addressed::track(&person, events::SHIPMENT_CONFIRMATION_REQUESTED, &key, props, now, now) {
                Ok(Some(m)) => out.push(m),
                Ok(None) => tracing::warn!(subscription = %d.subscription_id, "subscriber holds no identifier"),
                Err(e) => tracing::warn!(subscription = %d.subscription_id, error = %e, "confirmation refused"),
            }
        }
        Ok(out)
    }
}
