//! Moments in a live room that journeys start on (docs/live.md, "Moments"): a viewer left soon
//! after arriving, a viewer watched long and bought nothing, a question waited unanswered.
//! Read off a session's [`Room`] at a moment `now`, each with a key naming it, so that looking
//! again finds the same moments and enters nobody twice.

use chrono::{DateTime, Duration, Utc};

use super::Room;
use super::room::Span;
use crate::PersonId;

/// How long after its last event a session that never said it ended is taken as over.
pub const QUIET: Duration = Duration::minutes(30);

/// What a journey waits for in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Left within this long of arriving (their first stretch in the room), and not back.
    Left { within: Duration },
    /// Watched at least this long and did not order in the session, told when it ends.
    NoOrder { watched: Duration },
    /// A question still unanswered this long after it was asked.
    Unanswered { after: Duration },
}

/// One moment that has come: who, when, and the key that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub person: PersonId,
    pub at: DateTime<Utc>,
    pub key: String,
}

/// When a session is over, as far as is known at `now`: its end once that has passed, else
/// [`QUIET`] after its last event.
pub fn over(ended_at: Option<DateTime<Utc>>, room: &Room, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match ended_at {
        Some(end) => (end <= now).then_some(end),
        None => room.latest.filter(|last| now - *last >= QUIET),
    }
}

/// The moments of this kind in the room of `session` that have come by `now`, in no order.
/// `over` is when the session ended (see [`over`]).
pub fn due(room: &Room, session: &str, over: Option<DateTime<Utc>>, now: DateTime<Utc>, moment: Moment) -> Vec<Due> {
    let mut out = Vec::new();
    match moment {
        Moment::Left { within } => {
            for (person, v) in &room.viewers {
                // Only someone who is not back: a later stretch means they returned.
                let [first] = v.spans.as_slice() else { continue };
                if let Some(at) = left(first, over, now)
                    && at - first.start < within
                {
                    out.push(Due { person: *person, at, key: format!("live_left:{session}:{person}") });
                }
            }
        }
        Moment::NoOrder { watched } => {
            let Some(end) = over else { return out };
            for (person, v) in &room.viewers {
                if v.orders == 0 && v.watched_seconds() >= watched.num_seconds() {
                    out.push(Due { person: *person, at: end, key: format!("live_no_order:{session}:{person}") });
                }
            }
        }
        Moment::Unanswered { after } => {
            for q in &room.questions {
                let deadline = q.at + after;
                if deadline <= now && q.answered.is_none_or(|a| a > deadline) {
                    let key = format!("live_unanswered:{session}:{}", q.comment_id);
                    out.push(Due { person: q.person, at: deadline, key });
                }
            }
        }
    }
    out
}

/// When a stretch in the room ended by `now`: its `Live Left`, or its last sign of life once
/// the presence timeout has passed. Someone there until the session ended (leaving in its last
/// minute, or timing out after it) did not leave early.
fn left(span: &Span, over: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let gone = span.closed || !span.covers(now);
    let stayed = over.is_some_and(|end| span.end >= end - STAYED || (!span.closed && span.covers(end)));
    (gone && !stayed).then_some(span.end)
}

/// Leaving this close to the session's end is staying to the end.
const STAYED: Duration = Duration::minutes(1);

#[cfg(test)]
mod tests;
