//! Every subscription of a store folded from the event log (the engine keeps it current), so
//! the due confirmations, the shipment list and the figures are read off one fold.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::plan::Subscription;
use crate::PersonId;

#[derive(Debug, Clone, Default)]
pub struct Book {
    pub subscriptions: HashMap<String, Subscription>,
}

impl Book {
    /// Whether an event is one the book reads.
    pub fn reads(name: &str, properties: &Value) -> bool {
        Subscription::id_of(name, properties).is_some()
    }

    /// Fold one event in; false when it is not a readable subscription event.
    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value) -> bool {
        let Some(id) = Subscription::id_of(name, properties) else { return false };
        match self.subscriptions.get_mut(&id) {
            Some(s) => s.apply(person, at, name, properties),
            None => {
                let mut s = Subscription::new(id.clone(), person);
                let read = s.apply(person, at, name, properties);
                if read {
                    self.subscriptions.insert(id, s);
                }
                read
            }
        }
    }

    /// `from` was merged into `into`: their subscriptions are `into`'s now.
    pub fn merge(&mut self, from: PersonId, into: PersonId) {
        for s in self.subscriptions.values_mut().filter(|s| s.person == from) {
            s.person = into;
        }
    }

    /// An erased person's subscriptions are forgotten.
    pub fn forget(&mut self, person: PersonId) {
        self.subscriptions.retain(|_, s| s.person != person);
    }

    /// A person's subscriptions, by id.
    pub fn of(&self, person: PersonId) -> Vec<&Subscription> {
        let mut out: Vec<&Subscription> = self.subscriptions.values().filter(|s| s.person == person).collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;
    use serde_json::json;

    #[test]
    fn merged_people_keep_their_subscriptions_and_erasure_forgets_them() {
        let (a, b) = (PersonId(uuid::Uuid::from_u128(1)), PersonId(uuid::Uuid::from_u128(2)));
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut book = Book::default();
        let start = json!({"subscription_id": "s1", "sku": "milk", "every_days": 7});
        assert!(book.apply(b, t, events::SUBSCRIPTION_STARTED, &start));
        assert!(!book.apply(b, t, events::SUBSCRIPTION_STARTED, &json!({"subscription_id": "s2", "sku": "milk"})));
        assert!(!book.apply(b, t, events::ORDER_COMPLETED, &json!({"subscription_id": "s3"})));
        assert_eq!(book.subscriptions.len(), 1, "an unreadable event opens nothing");
        assert!(Book::reads(events::SHIPMENT_SKIPPED, &json!({"subscription_id": "s1"})));
        book.merge(b, a);
        assert_eq!(book.of(a).len(), 1);
        book.forget(a);
        assert!(book.subscriptions.is_empty());
    }
}
