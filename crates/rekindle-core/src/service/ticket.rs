//! An after-sales ticket as its events tell it: `Ticket Opened` (from the store's systems or
//! the console), `Ticket Updated` (assigned, a note added) and `Ticket Resolved`. Events may
//! arrive in any order (an import, a late webhook): the earliest opening and resolution count,
//! the latest assignment holds and notes are kept in time order.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::PersonId;
use crate::events;
use crate::profile::text;

/// Longest note or resolution kept, in characters.
const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = TicketNote))]
pub struct Note {
    pub at: DateTime<Utc>,
    /// Who wrote it (a console user's name), when known.
    pub by: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: String,
    pub person: PersonId,
    /// When it was opened: `None` while only later events of it have been read.
    pub opened_at: Option<DateTime<Utc>>,
    /// late, spoiled, short_weight, other, or what the store sent.
    pub reason: Option<String>,
    pub order_id: Option<String>,
    /// Where it was opened (the console, or the library that sent it).
    pub source: Option<String>,
    pub assignee: Option<String>,
    assigned_at: Option<DateTime<Utc>>,
    pub notes: Vec<Note>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
}

impl Ticket {
    pub fn new(id: String, person: PersonId) -> Self {
        Self {
            id,
            person,
            opened_at: None,
            reason: None,
            order_id: None,
            source: None,
            assignee: None,
            assigned_at: None,
            notes: Vec::new(),
            resolved_at: None,
            resolution: None,
        }
    }

    /// The ticket an event is about, if it is one of a ticket's.
    pub fn id_of(name: &str, properties: &Value) -> Option<String> {
        matches!(name, events::TICKET_OPENED | events::TICKET_UPDATED | events::TICKET_RESOLVED)
            .then(|| text(properties.get("ticket_id")))
            .flatten()
            .filter(|id| !id.is_empty())
    }

    /// Fold one of the ticket's events in. `person` is whose it is now (the latest event's).
    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, p: &Value, library: Option<&str>) {
        self.person = person;
        let field = |k: &str| text(p.get(k)).map(|s| clip(&s)).filter(|s| !s.is_empty());
        match name {
            events::TICKET_OPENED => {
                if self.opened_at.is_none_or(|o| at < o) {
                    self.opened_at = Some(at);
                    self.reason = field("reason").or(self.reason.take());
                    self.order_id = field("order_id").or(self.order_id.take());
                    self.source = library.map(str::to_owned).or(self.source.take());
                }
                self.update(at, p);
            }
            events::TICKET_UPDATED => self.update(at, p),
            events::TICKET_RESOLVED => {
                if self.resolved_at.is_none_or(|r| at < r) {
                    self.resolved_at = Some(at);
                    self.resolution = field("resolution").or(self.resolution.take());
                }
                self.update(at, p);
            }
            _ => {}
        }
    }

    /// An assignment and a note, as any of the ticket's events may carry.
    fn update(&mut self, at: DateTime<Utc>, p: &Value) {
        if let Some(a) = text(p.get("assignee")).map(|s| clip(&s))
            && self.assigned_at.is_none_or(|t| t <= at)
        {
            self.assignee = (!a.is_empty()).then_some(a);
            self.assigned_at = Some(at);
        }
        if let Some(note) = text(p.get("note")).map(|s| clip(&s)).filter(|s| !s.trim().is_empty()) {
            let by = text(p.get("by")).map(|s| clip(&s));
            let i = self.notes.partition_point(|n| n.at <= at);
            self.notes.insert(i, Note { at, by, text: note });
        }
    }

    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn a_ticket_reads_the_same_whatever_order_its_events_came_in() {
        let who = PersonId(uuid::Uuid::nil());
        let evs = [
            (t(0), events::TICKET_OPENED, json!({"ticket_id": "t1", "reason": "spoiled", "order_id": "o1"})),
            (
                t(1),
                events::TICKET_UPDATED,
                json!({"ticket_id": "t1", "assignee": "小王", "note": "已联系顾客", "by": "小王"}),
            ),
            (t(2), events::TICKET_UPDATED, json!({"ticket_id": "t1", "assignee": "小李"})),
            (t(3), events::TICKET_UPDATED, json!({"ticket_id": "t1", "note": "补发一份"})),
            (t(5), events::TICKET_RESOLVED, json!({"ticket_id": "t1", "resolution": "已补发"})),
        ];
        let fold = |order: &[usize]| {
            let mut k = Ticket::new("t1".into(), who);
            for &i in order {
                let (at, name, p) = &evs[i];
                k.apply(who, *at, name, p, Some("console"));
            }
            k
        };
        let a = fold(&[0, 1, 2, 3, 4]);
        assert_eq!(a, fold(&[4, 3, 2, 1, 0]));
        assert_eq!(a.opened_at, Some(t(0)));
        assert_eq!(a.reason.as_deref(), Some("spoiled"));
        assert_eq!(a.assignee.as_deref(), Some("小李"), "the latest assignment holds");
        assert_eq!(a.notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(), ["已联系顾客", "补发一份"]);
        assert_eq!((a.resolved_at, a.resolution.as_deref()), (Some(t(5)), Some("已补发")));
        assert!(!a.is_open());
        assert_eq!(Ticket::id_of(events::TICKET_OPENED, &json!({"ticket_id": ""})), None);
        assert_eq!(Ticket::id_of(events::ORDER_COMPLETED, &json!({"ticket_id": "t1"})), None);
    }
}
