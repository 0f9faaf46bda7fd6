//! What one event says about a live room (docs/live.md): the live-room events, and an order
//! placed in a session.

use serde_json::Value;

use crate::events;
use crate::profile::{ProfileEvent, text};

/// Longest question text kept for the monitor; the event keeps all of it.
const QUESTION_CHARS: usize = 140;

/// One live-room event, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    Entered,
    Left,
    /// A heartbeat or a summary: `seconds` watched up to this moment; the platform's stream
    /// latency when it reports one.
    Watched {
        seconds: i64,
        latency_ms: Option<i64>,
    },
    Commented {
        comment_id: Option<String>,
        question: Option<String>,
    },
    /// The host answered the comment (a question) with this id.
    Replied {
        comment_id: String,
    },
    Liked,
    Shared,
    /// The viewer's player stalled for `seconds`.
    Stalled {
        seconds: i64,
    },
    Ordered {
        order_id: String,
        revenue_fen: i64,
        lines: Vec<Line>,
    },
}

/// A product line of an order placed in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The sku, or the name when the sender gave none.
    pub key: String,
    pub name: String,
    pub units: i64,
    pub revenue_fen: i64,
}

/// The session an event belongs to and what it says, or `None` for an event that is not about
/// a live room (an order without `session_id`, any other event, a live event without a
/// session).
pub fn read<'a>(e: &ProfileEvent<'a>) -> Option<(String, Signal)> {
    let p = e.properties;
    let session = text(p.get("session_id"))?;
    let signal = match e.name {
        events::LIVE_ENTERED => Signal::Entered,
        events::LIVE_LEFT => Signal::Left,
        events::LIVE_WATCHED => {
            Signal::Watched { seconds: whole(p.get("seconds")).unwrap_or(0), latency_ms: whole(p.get("latency_ms")) }
        }
        events::LIVE_COMMENTED => Signal::Commented {
            comment_id: text(p.get("comment_id")),
            question: (p.get("is_question") == Some(&Value::Bool(true))).then(|| question_text(p.get("text"))),
        },
        events::LIVE_REPLIED => Signal::Replied { comment_id: text(p.get("comment_id"))? },
        events::LIVE_LIKED => Signal::Liked,
        events::LIVE_SHARED => Signal::Shared,
        events::LIVE_STALLED => Signal::Stalled { seconds: whole(p.get("seconds")).unwrap_or(0) },
        events::ORDER_COMPLETED => Signal::Ordered {
            order_id: text(p.get("order_id"))?,
            revenue_fen: e.amounts.get("revenue", p.get("revenue")).get(),
            lines: lines(e),
        },
        _ => return None,
    };
    Some((session, signal))
}

/// A non-negative whole number of the event, bounded to a day's worth so one hostile value
/// cannot overflow a sum.
fn whole(v: Option<&Value>) -> Option<i64> {
    let n = v?.as_f64()?;
    n.is_finite().then(|| n.clamp(0.0, 86_400_000.0) as i64)
}

fn question_text(v: Option<&Value>) -> String {
    let t = v.and_then(Value::as_str).unwrap_or_default().trim();
    t.chars().take(QUESTION_CHARS).collect()
}

fn lines(e: &ProfileEvent) -> Vec<Line> {
    let Some(products) = e.properties.get("products").and_then(Value::as_array) else { return Vec::new() };
    products
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            let name = text(x.get("name"));
            let key = text(x.get("sku")).or_else(|| name.clone())?;
            let units = whole(x.get("quantity")).unwrap_or(1).max(1);
            let price = e.amounts.get(&format!("products[{i}].price"), x.get("price")).get();
            Some(Line {
                name: name.unwrap_or_else(|| key.clone()),
                key,
                units,
                revenue_fen: price.saturating_mul(units),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::money::Amounts;

    fn read_one(name: &str, properties: Value) -> Option<(String, Signal)> {
        read_annotated(name, properties, json!({}))
    }

    /// With the amounts ingestion parsed, in fen by path.
    fn read_annotated(name: &str, properties: Value, fen: Value) -> Option<(String, Signal)> {
        let payload = json!({"properties": properties.clone(), "_rekindle": {"fen": fen}});
        let e = ProfileEvent {
            at: "2026-05-01T12:00:00Z".parse().unwrap(),
            name,
            properties: &properties,
            amounts: Amounts::of(&payload),
        };
        read(&e)
    }

    #[test]
    fn live_events_name_their_session() {
        assert_eq!(read_one("Live Entered", json!({"session_id": "s1"})), Some(("s1".into(), Signal::Entered)));
        assert_eq!(read_one("Live Entered", json!({})), None, "no session");
        assert_eq!(read_one("Page Viewed", json!({"session_id": "s1"})), None, "not a live event");
        assert_eq!(
            read_one("Live Watched", json!({"session_id": 7, "seconds": 10.5, "latency_ms": -3})),
            Some(("7".into(), Signal::Watched { seconds: 10, latency_ms: Some(0) }))
        );
        assert_eq!(
            read_one("Live Watched", json!({"session_id": "s", "seconds": "lots"})),
            Some(("s".into(), Signal::Watched { seconds: 0, latency_ms: None }))
        );
    }

    #[test]
    fn a_question_keeps_a_bounded_text_and_a_reply_needs_its_comment() {
        let long = "保".repeat(500);
        let Some((_, Signal::Commented { comment_id, question })) = read_one(
            "Live Commented",
            json!({"session_id": "s", "comment_id": "c1", "is_question": true, "text": long}),
        ) else {
            panic!("a comment")
        };
        assert_eq!(comment_id.as_deref(), Some("c1"));
        assert_eq!(question.unwrap().chars().count(), QUESTION_CHARS);
        let plain = read_one("Live Commented", json!({"session_id": "s", "is_question": "yes", "text": "好"}));
        assert_eq!(plain, Some(("s".into(), Signal::Commented { comment_id: None, question: None })));
        assert_eq!(read_one("Live Replied", json!({"session_id": "s"})), None, "a reply names its comment");
    }

    #[test]
    fn an_order_in_a_session_reads_its_lines_in_fen() {
        let (_, s) = read_annotated(
            "Order Completed",
            json!({"session_id": "s", "order_id": "o1", "revenue": 2,
                   "products": [{"sku": "egg", "name": "鸡蛋", "price": 1, "quantity": 2}, {"price": 3}]}),
            json!({"revenue": 200, "products[0].price": 100, "products[1].price": 300}),
        )
        .unwrap();
        let Signal::Ordered { order_id, lines, .. } = s else { panic!("an order") };
        assert_eq!(order_id, "o1");
        assert_eq!(lines, vec![Line { key: "egg".into(), name: "鸡蛋".into(), units: 2, revenue_fen: 200 }]);
        assert_eq!(read_one("Order Completed", json!({"order_id": "o2"})), None, "not placed in a session");
    }
}
