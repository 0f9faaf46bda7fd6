//! A person's conversation with the service: what they wrote (`Message Received`) and the
//! staff's replies (`Message Replied`), kept in time order whatever order they arrived in. A
//! message written while nothing is waiting starts a wait; the next reply ends it: each wait
//! is one [`Ask`], the unit every reply figure counts (seed 002: the first reply is what
//! matters, not how many messages followed it).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::PersonId;
use crate::events;
use crate::profile::text;

/// Longest text kept of a message, in characters: the desk shows the latest, not a transcript.
const MAX_TEXT: usize = 500;
/// Messages kept per person: a very long conversation keeps its latest.
const MAX_MESSAGES: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at: DateTime<Utc>,
    /// Written by the customer (`false`: a staff reply).
    pub inbound: bool,
    pub staff: Option<String>,
    pub channel: Option<String>,
    pub text: String,
}

/// One wait for a first reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub at: DateTime<Utc>,
    /// The message that started the wait.
    pub text: String,
    /// Whom the customer wrote to (their contact's staff member), when the message said.
    pub staff: Option<String>,
    /// When, and by whom, it was first answered.
    pub replied: Option<(DateTime<Utc>, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub person: PersonId,
    /// In time order.
    pub lines: Vec<Line>,
}

impl Conversation {
    pub fn new(person: PersonId) -> Self {
        Self { person, lines: Vec::new() }
    }

    /// Whether an event is a conversation's.
    pub fn is_message(name: &str) -> bool {
        matches!(name, events::MESSAGE_RECEIVED | events::MESSAGE_REPLIED)
    }

    pub fn apply(&mut self, at: DateTime<Utc>, name: &str, p: &Value) {
        if !Self::is_message(name) {
            return;
        }
        let line = Line {
            at,
            inbound: name == events::MESSAGE_RECEIVED,
            staff: text(p.get("staff_id")).filter(|s| !s.is_empty()),
            channel: text(p.get("channel")).filter(|s| !s.is_empty()),
            text: text(p.get("text")).unwrap_or_default().chars().take(MAX_TEXT).collect(),
        };
        let i = self.lines.partition_point(|l| l.at <= at);
        self.lines.insert(i, line);
        if self.lines.len() > MAX_MESSAGES {
            self.lines.remove(0);
        }
    }

    /// Every wait for a first reply, in time order.
    pub fn asks(&self) -> Vec<Ask> {
        let mut out: Vec<Ask> = Vec::new();
        let mut waiting = false;
        for l in &self.lines {
            match (l.inbound, waiting) {
                (true, false) => {
                    out.push(Ask { at: l.at, text: l.text.clone(), staff: l.staff.clone(), replied: None });
                    waiting = true;
                }
                (false, true) => {
                    if let Some(a) = out.last_mut() {
                        a.replied = Some((l.at, l.staff.clone()));
                    }
                    waiting = false;
                }
                _ => {}
            }
        }
        out
    }

    /// The wait still open, if the last thing said was the customer's.
    pub fn waiting(&self) -> Option<Ask> {
        self.asks().pop().filter(|a| a.replied.is_none())
    }

    pub fn last(&self) -> Option<&Line> {
        self.lines.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + m * 60, 0).unwrap()
    }

    #[test]
    fn a_wait_starts_at_the_first_unanswered_message_and_ends_at_the_next_reply() {
        let mut c = Conversation::new(PersonId(uuid::Uuid::nil()));
        let msgs = [
            (t(0), events::MESSAGE_RECEIVED, json!({"text": "在吗", "staff_id": "wang"})),
            (t(1), events::MESSAGE_RECEIVED, json!({"text": "牛奶坏了"})),
            (t(9), events::MESSAGE_REPLIED, json!({"text": "您好", "staff_id": "li"})),
            (t(10), events::MESSAGE_REPLIED, json!({"text": "马上处理"})),
            (t(30), events::MESSAGE_RECEIVED, json!({"text": "谢谢"})),
        ];
        // Arrived out of order: the reply before the question it answers.
        for i in [2, 0, 4, 1, 3] {
            let (at, name, p) = &msgs[i];
            c.apply(*at, name, p);
        }
        let asks = c.asks();
        assert_eq!(asks.len(), 2);
        assert_eq!((asks[0].at, asks[0].text.as_str(), asks[0].staff.as_deref()), (t(0), "在吗", Some("wang")));
        assert_eq!(asks[0].replied, Some((t(9), Some("li".to_owned()))));
        assert_eq!(c.waiting().map(|a| a.at), Some(t(30)), "the thank-you waits");
        c.apply(t(31), events::MESSAGE_REPLIED, &json!({}));
        assert_eq!(c.waiting(), None);
        c.apply(t(40), events::ORDER_COMPLETED, &json!({}));
        assert_eq!(c.lines.len(), 6, "not a message");
    }
}
