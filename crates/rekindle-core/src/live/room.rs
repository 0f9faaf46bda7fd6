//! One live session's room, folded from its events: who was in it and when, what happened
//! minute by minute, the questions and when they were answered, what sold.
//!
//! The monitor folds events as they arrive; the review folds all of a session's events in time
//! order. Both read the same room, so the live figures and the review agree.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::signal::{Line, Signal};
use crate::PersonId;

/// The longest session a room follows; later events are not counted minute by minute.
pub const MAX_MINUTES: usize = 24 * 60;

/// How long a viewer counts as in the room after their last sign of life, when no `Live Left`
/// came: twice the heartbeat they last sent, at least 45 s (a 10 s heartbeat missed a few
/// times) and at most 15 minutes. Before any heartbeat (a platform that reports only entering
/// and leaving), 10 minutes.
pub fn presence_timeout(heartbeat_seconds: i64) -> Duration {
    if heartbeat_seconds <= 0 {
        return Duration::minutes(10);
    }
    Duration::seconds((2 * heartbeat_seconds).clamp(45, 15 * 60))
}

/// A stretch of time a viewer was in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    /// The last sign of life, or the time they left.
    pub end: DateTime<Utc>,
    /// Ended by a `Live Left`.
    pub closed: bool,
    /// The last heartbeat's length, which sets how long the span stays open.
    heartbeat: i64,
}

impl Span {
    fn timeout(&self) -> Duration {
        presence_timeout(self.heartbeat)
    }

    /// Whether a sign of life at `at` belongs to this span.
    fn reaches(&self, at: DateTime<Utc>) -> bool {
        let after = if self.closed { Duration::zero() } else { self.timeout() };
        at >= self.start - self.timeout() && at <= self.end + after
    }

    /// In the room at `at`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        let until = if self.closed { self.end } else { self.end + self.timeout() };
        self.start <= at && at <= until
    }

    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }
}

/// One viewer of the session.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// In time order, not overlapping.
    pub spans: Vec<Span>,
    pub comments: u32,
    pub questions: u32,
    pub likes: u32,
    pub shares: u32,
    pub orders: u32,
    pub spend_fen: i64,
    pub stalls: u32,
}

impl Viewer {
    pub fn watched_seconds(&self) -> i64 {
        self.spans.iter().map(Span::seconds).sum()
    }

    pub fn first_seen(&self) -> Option<DateTime<Utc>> {
        self.spans.first().map(|s| s.start)
    }

    pub fn present(&self, at: DateTime<Utc>) -> bool {
        self.spans.iter().any(|s| s.covers(at))
    }

    /// Commented, liked or shared.
    pub fn interacted(&self) -> bool {
        self.comments + self.likes + self.shares > 0
    }

    /// A sign of life at `at`: entering (`heartbeat` 0) or a heartbeat of that many seconds.
    fn alive(&mut self, at: DateTime<Utc>, heartbeat: i64) {
        match self.spans.iter().position(|s| s.reaches(at)) {
            Some(i) => {
                let s = &mut self.spans[i];
                s.start = s.start.min(at);
                if !s.closed {
                    s.end = s.end.max(at);
                    if heartbeat > 0 {
                        s.heartbeat = heartbeat;
                    }
                }
            }
            None => {
                // A heartbeat with no entry before it says they were watching that long already,
                // as far back as the timeout would have kept them.
                let back = Duration::seconds(heartbeat).min(presence_timeout(heartbeat));
                let span = Span { start: at - back, end: at, closed: false, heartbeat: heartbeat.max(0) };
                let i = self.spans.partition_point(|s| s.start < span.start);
                self.spans.insert(i, span);
            }
        }
        self.coalesce();
    }

    /// Leaving closes the latest stretch begun before it, however long ago its last sign of
    /// life: entering and leaving say they watched in between.
    fn left(&mut self, at: DateTime<Utc>) {
        match self.spans.iter().rposition(|s| s.start <= at && (!s.closed || at <= s.end)) {
            Some(i) => {
                let s = &mut self.spans[i];
                s.end = s.end.max(at);
                s.closed = true;
            }
            // Leaving with no sign of entering: a moment in the room.
            None => {
                let i = self.spans.partition_point(|s| s.start < at);
                self.spans.insert(i, Span { start: at, end: at, closed: true, heartbeat: 0 });
            }
        }
        self.coalesce();
    }

    /// Spans that came to overlap become one.
    fn coalesce(&mut self) {
        let mut i = 1;
        while i < self.spans.len() {
            let (a, b) = (self.spans[i - 1], self.spans[i]);
            if b.start <= a.end {
                let last = if b.end >= a.end { b } else { a };
                self.spans[i - 1] = Span { end: last.end, closed: last.closed, heartbeat: last.heartbeat, ..a };
                self.spans.remove(i);
            } else {
                i += 1;
            }
        }
    }
}

/// What happened in one minute of the session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Minute {
    pub entered: u32,
    pub left: u32,
    pub comments: u32,
    pub questions: u32,
    pub likes: u32,
    pub shares: u32,
    pub orders: u32,
    pub gmv_fen: i64,
    /// Viewers whose player stalled, and for how long in all.
    pub stalls: u32,
    pub stall_seconds: i64,
    pub latency_ms_total: i64,
    pub latency_reports: u32,
}

/// A question asked in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub comment_id: String,
    pub person: PersonId,
    pub at: DateTime<Utc>,
    pub text: String,
    /// The first answer.
    pub answered: Option<DateTime<Utc>>,
}

impl Question {
    /// Seconds from the question to its first answer (an answer stamped before the question,
    /// by clock skew, is immediate).
    pub fn reply_seconds(&self) -> Option<i64> {
        self.answered.map(|a| (a - self.at).num_seconds().max(0))
    }
}

/// A product sold in the room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sold {
    pub name: String,
    pub units: i64,
    pub revenue_fen: i64,
    pub orders: u32,
}

#[derive(Debug, Clone)]
pub struct Room {
    /// Minute 0 starts here: the session's start.
    pub origin: DateTime<Utc>,
    pub viewers: HashMap<PersonId, Viewer>,
    pub minutes: Vec<Minute>,
    pub questions: Vec<Question>,
    /// Question index by comment id.
    asked: HashMap<String, usize>,
    /// Answers that came before their question.
    early: HashMap<String, DateTime<Utc>>,
    /// Orders counted, by id: an order reported twice counts once.
    orders: HashMap<String, PersonId>,
    pub sold: HashMap<String, Sold>,
    /// Events folded, of any kind.
    pub events: u64,
    /// The latest event time folded.
    pub latest: Option<DateTime<Utc>>,
}

impl Room {
    pub fn new(origin: DateTime<Utc>) -> Self {
        Self {
            origin,
            viewers: HashMap::new(),
            minutes: Vec::new(),
            questions: Vec::new(),
            asked: HashMap::new(),
            early: HashMap::new(),
            orders: HashMap::new(),
            sold: HashMap::new(),
            events: 0,
            latest: None,
        }
    }

    /// The minute of the session `at` falls in; before the start is minute 0.
    pub fn minute_of(&self, at: DateTime<Utc>) -> usize {
        usize::try_from((at - self.origin).num_minutes()).unwrap_or(0)
    }

    fn minute(&mut self, at: DateTime<Utc>) -> Option<&mut Minute> {
        let m = self.minute_of(at);
        if m >= MAX_MINUTES {
            return None;
        }
        if self.minutes.len() <= m {
            self.minutes.resize(m + 1, Minute::default());
        }
        Some(&mut self.minutes[m])
    }

    /// Fold one event in. `fallback_id` names a comment that carries no `comment_id` (the
    /// event's message id).
    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, signal: Signal, fallback_id: &str) {
        self.events += 1;
        self.latest = self.latest.max(Some(at));
        let viewer = self.viewers.entry(person).or_default();
        match signal {
            Signal::Entered => {
                viewer.alive(at, 0);
                self.count(at, |m| m.entered += 1);
            }
            Signal::Left => {
                viewer.left(at);
                self.count(at, |m| m.left += 1);
            }
            Signal::Watched { seconds, latency_ms } => {
                viewer.alive(at, seconds);
                if let Some(ms) = latency_ms {
                    self.count(at, |m| {
                        m.latency_ms_total = m.latency_ms_total.saturating_add(ms);
                        m.latency_reports += 1;
                    });
                }
            }
            Signal::Commented { comment_id, question } => {
                viewer.alive(at, 0);
                viewer.comments += 1;
                let asked = question.is_some();
                viewer.questions += u32::from(asked);
                self.count(at, |m| {
                    m.comments += 1;
                    m.questions += u32::from(asked);
                });
                if let Some(text) = question {
                    self.ask(person, at, comment_id.unwrap_or_else(|| fallback_id.to_owned()), text);
                }
            }
            Signal::Replied { comment_id } => match self.asked.get(&comment_id) {
                Some(&i) => {
                    let q = &mut self.questions[i];
                    q.answered = Some(q.answered.map_or(at, |a| a.min(at)));
                }
                None => {
                    let e = self.early.entry(comment_id).or_insert(at);
                    *e = (*e).min(at);
                }
            },
            Signal::Liked => {
                viewer.alive(at, 0);
                viewer.likes += 1;
                self.count(at, |m| m.likes += 1);
            }
            Signal::Shared => {
                viewer.shares += 1;
                self.count(at, |m| m.shares += 1);
            }
            Signal::Stalled { seconds } => {
                viewer.stalls += 1;
                self.count(at, |m| {
                    m.stalls += 1;
                    m.stall_seconds = m.stall_seconds.saturating_add(seconds);
                });
            }
            Signal::Ordered { order_id, revenue_fen, lines } => {
                if self.orders.insert(order_id, person).is_some() {
                    return;
                }
                viewer.orders += 1;
                viewer.spend_fen = viewer.spend_fen.saturating_add(revenue_fen);
                self.count(at, |m| {
                    m.orders += 1;
                    m.gmv_fen = m.gmv_fen.saturating_add(revenue_fen);
                });
                self.sell(lines);
            }
        }
    }

    fn count(&mut self, at: DateTime<Utc>, f: impl FnOnce(&mut Minute)) {
        if let Some(m) = self.minute(at) {
            f(m)
        }
    }

    fn ask(&mut self, person: PersonId, at: DateTime<Utc>, comment_id: String, text: String) {
        if self.asked.contains_key(&comment_id) {
            return;
        }
        let answered = self.early.remove(&comment_id);
        self.asked.insert(comment_id.clone(), self.questions.len());
        self.questions.push(Question { comment_id, person, at, text, answered });
    }

    fn sell(&mut self, lines: Vec<Line>) {
        for l in lines {
            let s = self.sold.entry(l.key).or_default();
            if s.name.is_empty() {
                s.name = l.name;
            }
            s.units = s.units.saturating_add(l.units);
            s.revenue_fen = s.revenue_fen.saturating_add(l.revenue_fen);
            s.orders += 1;
        }
    }

    /// Viewers in the room at `at`.
    pub fn concurrent(&self, at: DateTime<Utc>) -> usize {
        self.viewers.values().filter(|v| v.present(at)).count()
    }

    /// Viewers in the room during each minute (any moment of it), from minute 0 to `last`.
    /// With `now`, a viewer still in the room counts up to now, not only to their last
    /// heartbeat: the running minute holds everyone present.
    pub fn viewers_by_minute(&self, last: usize, now: Option<DateTime<Utc>>) -> Vec<u32> {
        let len = (last + 1).min(MAX_MINUTES);
        let mut delta = vec![0i64; len + 1];
        for v in self.viewers.values() {
            // Minutes already counted for this viewer: spans in order never count one twice.
            let mut next = 0;
            for s in &v.spans {
                let from = self.minute_of(s.start).max(next);
                let end = match now {
                    Some(now) if !s.closed && s.covers(now) => now.max(s.end),
                    _ => s.end,
                };
                let to = self.minute_of(end).min(len - 1);
                if from <= to && from < len {
                    delta[from] += 1;
                    delta[to + 1] -= 1;
                    next = to + 1;
                }
            }
        }
        let mut running = 0;
        delta[..len]
            .iter()
            .map(|d| {
                running += d;
                running as u32
            })
            .collect()
    }

    /// People who ordered in the room.
    pub fn buyers(&self) -> usize {
        self.viewers.values().filter(|v| v.orders > 0).count()
    }

    pub fn gmv_fen(&self) -> i64 {
        self.minutes.iter().fold(0i64, |t, m| t.saturating_add(m.gmv_fen))
    }

    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    /// The best sellers by revenue, then units, then name.
    pub fn top_products(&self, n: usize) -> Vec<(&str, &Sold)> {
        let mut all: Vec<(&str, &Sold)> = self.sold.iter().map(|(k, s)| (k.as_str(), s)).collect();
        all.sort_by(|a, b| b.1.revenue_fen.cmp(&a.1.revenue_fen).then(b.1.units.cmp(&a.1.units)).then(a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    /// Questions not answered, oldest first.
    pub fn waiting(&self) -> impl Iterator<Item = &Question> {
        let mut w: Vec<&Question> = self.questions.iter().filter(|q| q.answered.is_none()).collect();
        w.sort_by_key(|q| q.at);
        w.into_iter()
    }
}

#[cfg(test)]
mod tests;
