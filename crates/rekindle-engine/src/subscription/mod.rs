//! Subscriptions (定期购, docs/subscriptions.md): each workspace's [`Book`] built once from the
//! subscription events and then followed along the log after its cursor (merges included, an
//! erasure rebuilds it), like the service desk; the confirmations due now, as the `Shipment
//! Confirmation Requested` events to write back through the ingestor; and whom to offer a
//! subscription, from the folded profiles.

mod link;
mod offers;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use rekindle_core::subscription::{Book, Due, due};
use rekindle_core::{Message, PersonId, WorkspaceId, events};
use rekindle_store::{EventQuery, Horizon, PersonRef, Store, StoredEvent};
use serde_json::json;

pub use link::{BadToken, Claim, Links};
pub use offers::{Offer, offers};

use crate::Engine;

/// Events read from the log per page.
const PAGE: u32 = 5000;
/// How long an answer link stays open after the shipment's cut-off: late taps still see the
/// page (and why it can no longer be answered), and may still pause.
pub const LINK_DAYS_AFTER_CUTOFF: i64 = 14;

#[derive(Default)]
struct Followed {
    /// How far the log has been folded; `None` until built.
    cursor: Option<Horizon>,
    book: Book,
}

pub struct Subscriptions {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    links: Links,
    workspaces: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<Followed>>>>,
    /// Confirmations handed out and not folded back yet (their events are on the way).
    asked: Mutex<HashMap<WorkspaceId, HashSet<String>>>,
}

fn apply(book: &mut Book, e: &StoredEvent) {
    let Some(name) = e.name.as_deref() else { return };
    if e.person == PersonId::ERASED {
        return;
    }
    book.apply(e.person, e.timestamp, name, e.properties());
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
        Self { store, engine, links, workspaces: Mutex::default(), asked: Mutex::default() }
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    fn followed(&self, ws: WorkspaceId) -> Arc<tokio::sync::Mutex<Followed>> {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().clone()
    }

    /// Look at the book, brought up to the end of the log.
    pub async fn look<R>(&self, ws: WorkspaceId, look: impl FnOnce(&Book) -> R) -> rekindle_store::Result<R> {
        let followed = self.followed(ws);
        let mut f = followed.lock().await;
        let now = self.store.horizon(ws).await?;
        match f.cursor {
            None => f.book = self.build(ws, now.event).await?,
            Some(at) => {
                let mut cursor = at.event;
                while cursor < now.event {
                    let page = self.store.events_between(ws, cursor, now.event, PAGE).await?;
                    let Some(last) = page.last().map(|e| e.id) else { break };
                    for e in &page {
                        apply(&mut f.book, e);
                    }
                    cursor = last;
                }
                for m in self.store.merges_between(ws, at.merge, now.merge).await? {
                    f.book.merge(m.from, m.into);
                }
            }
        }
        f.cursor = Some(now);
        Ok(look(&f.book))
    }

    /// Forget the workspace's book: built again from the log when next looked at (after an
    /// erasure, whose events are gone from the log).
    pub fn reset(&self, ws: WorkspaceId) {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    /// Forget what was handed out: it was not recorded, and is due again.
    pub fn forget(&self, ws: WorkspaceId) {
        self.asked.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    async fn build(&self, ws: WorkspaceId, upto: i64) -> rekindle_store::Result<Book> {
        let mut book = Book::default();
        for name in events::SUBSCRIPTION_EVENTS {
            let mut query = EventQuery { name: Some((*name).to_owned()), limit: PAGE, ..EventQuery::default() };
            loop {
                let page = self.store.events(ws, &query).await?;
                let Some(last) = page.last() else { break };
                query.before = Some(last.cursor());
                for e in page.iter().filter(|e| e.id <= upto) {
                    apply(&mut book, e);
                }
                if page.len() < PAGE as usize {
                    break;
                }
            }
        }
        Ok(book)
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
