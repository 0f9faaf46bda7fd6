//! The service desk: every ticket and conversation of a store folded from the event log, so
//! the queue, the conversations waiting and every service figure are read off one fold (the
//! engine keeps it current; docs/service.md).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::conversation::Conversation;
use super::ticket::Ticket;
use crate::PersonId;

#[derive(Debug, Clone, Default)]
pub struct Desk {
    pub tickets: HashMap<String, Ticket>,
    pub conversations: HashMap<PersonId, Conversation>,
}

impl Desk {
    /// Whether an event is one the desk reads.
    pub fn reads(name: &str, properties: &Value) -> bool {
        Ticket::id_of(name, properties).is_some() || Conversation::is_message(name)
    }

    /// Fold one event in; `library` is what sent it (`context.library.name`).
    pub fn apply(
        &mut self,
        person: PersonId,
        at: DateTime<Utc>,
        name: &str,
        properties: &Value,
        library: Option<&str>,
    ) -> bool {
        if let Some(id) = Ticket::id_of(name, properties) {
            let t = self.tickets.entry(id.clone()).or_insert_with(|| Ticket::new(id, person));
            t.apply(person, at, name, properties, library);
            true
        } else if Conversation::is_message(name) {
            self.conversations.entry(person).or_insert_with(|| Conversation::new(person)).apply(at, name, properties);
            true
        } else {
            false
        }
    }

    /// `from` was merged into `into`: their tickets and conversation are `into`'s now.
    pub fn merge(&mut self, from: PersonId, into: PersonId) {
        for t in self.tickets.values_mut().filter(|t| t.person == from) {
            t.person = into;
        }
        if let Some(c) = self.conversations.remove(&from) {
            let kept = self.conversations.entry(into).or_insert_with(|| Conversation::new(into));
            for line in c.lines {
                let i = kept.lines.partition_point(|l| l.at <= line.at);
                kept.lines.insert(i, line);
            }
        }
    }

    /// An erased person's tickets and conversation are forgotten.
    pub fn forget(&mut self, person: PersonId) {
        self.tickets.retain(|_, t| t.person != person);
        self.conversations.remove(&person);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;
    use serde_json::json;

    #[test]
    fn merged_people_keep_one_conversation_in_time_order() {
        let (a, b) = (PersonId(uuid::Uuid::from_u128(1)), PersonId(uuid::Uuid::from_u128(2)));
        let t = |m: i64| DateTime::from_timestamp(1_800_000_000 + m * 60, 0).unwrap();
        let mut d = Desk::default();
        assert!(d.apply(a, t(0), events::MESSAGE_RECEIVED, &json!({"text": "在吗"}), None));
        assert!(d.apply(b, t(5), events::MESSAGE_REPLIED, &json!({"text": "在的"}), None));
        assert!(d.apply(b, t(1), events::TICKET_OPENED, &json!({"ticket_id": "k"}), None));
        assert!(!d.apply(b, t(1), events::ORDER_COMPLETED, &json!({"order_id": "o"}), None));
        d.merge(b, a);
        assert_eq!(d.conversations.len(), 1);
        assert_eq!(d.conversations[&a].asks()[0].replied.as_ref().map(|r| r.0), Some(t(5)));
        assert_eq!(d.tickets["k"].person, a);
        d.forget(a);
        assert!(d.tickets.is_empty() && d.conversations.is_empty());
    }
}
