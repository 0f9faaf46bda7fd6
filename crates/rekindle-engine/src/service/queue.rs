//! The service pages' lists and figures, read off the desk with what the audience knows of each
//! person (tier, spend, predicted value) and the journeys they walk.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rekindle_core::PersonId;
use rekindle_core::service::figures::{self, ReplyFigures, TicketFigures};
use rekindle_core::service::rows::{LineRow, TicketRow, WaitingRow};
use rekindle_core::service::{Desk, Settings, Ticket};
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{EnrollmentState, PersonRef, Store};

use crate::Audience;

/// Which tickets a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Open, the longest waiting first.
    #[default]
    Open,
    /// Open past their promise.
    Overdue,
    /// Resolved, the latest first.
    Resolved,
    /// All, the latest opened first.
    All,
}

impl Status {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => Self::Open,
            "overdue" => Self::Overdue,
            "resolved" => Self::Resolved,
            "all" => Self::All,
            _ => return None,
        })
    }
}

/// The tickets a list holds, in its order, at most `limit`; and how many there were.
pub fn select<'a>(
    desk: &'a Desk,
    settings: &Settings,
    status: Status,
    assignee: Option<&str>,
    now: DateTime<Utc>,
    limit: usize,
) -> (Vec<&'a Ticket>, usize) {
    let sla = &settings.sla;
    let mut out: Vec<&Ticket> = desk
        .tickets
        .values()
        .filter(|t| t.opened_at.is_some())
        .filter(|t| match status {
            Status::Open => t.is_open(),
            Status::Overdue => t.is_open() && t.opened_at.is_some_and(|o| now > sla.resolve_by(o)),
            Status::Resolved => !t.is_open(),
            Status::All => true,
        })
        .filter(|t| assignee.is_none_or(|a| t.assignee.as_deref() == Some(a)))
        .collect();
    match status {
        Status::Open | Status::Overdue => out.sort_by_key(|t| (t.opened_at, t.id.clone())),
        Status::Resolved => out.sort_by(|a, b| b.resolved_at.cmp(&a.resolved_at).then(a.id.cmp(&b.id))),
        Status::All => out.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(a.id.cmp(&b.id))),
    }
    let total = out.len();
    out.truncate(limit);
    (out, total)
}

/// The names people go by and the journeys they walk, for the rows listed.
pub struct People {
    names: HashMap<PersonId, Option<String>>,
    journeys: HashMap<PersonId, Vec<String>>,
}

impl People {
    pub async fn load(store: &dyn Store, ws: WorkspaceId, people: &[PersonId]) -> rekindle_store::Result<Self> {
        let titles: HashMap<JourneyId, String> =
            store.journeys(ws).await?.into_iter().map(|j| (j.id, j.name)).collect();
        let mut names = HashMap::new();
        let mut journeys = HashMap::new();
        for &p in people {
            if names.contains_key(&p) {
                continue;
            }
            let person = store.person(ws, &PersonRef::Id(p)).await?;
            names.insert(p, person.and_then(|x| x.nickname()));
            let walking: Vec<String> = store
                .person_enrollments(ws, p)
                .await?
                .into_iter()
                .filter(|e| e.state == EnrollmentState::Active)
                .filter_map(|e| titles.get(&e.journey).cloned())
                .collect();
            journeys.insert(p, walking);
        }
        Ok(Self { names, journeys })
    }

    pub fn name(&self, p: PersonId) -> Option<String> {
        self.names.get(&p).cloned().flatten()
    }
}

pub fn ticket_row(
    t: &Ticket,
    settings: &Settings,
    audience: Option<&Audience>,
    people: &People,
    now: DateTime<Utc>,
) -> TicketRow {
    let opened = t.opened_at.unwrap_or(now);
    let due = settings.sla.resolve_by(opened);
    let member = audience.and_then(|a| a.member(t.person));
    TicketRow {
        id: t.id.clone(),
        person: t.person,
        name: people.name(t.person),
        tier: member.map(|m| m.tier),
        spend_fen: member.map_or(0, |m| m.profile.spend_fen()),
        clv_fen: member.and_then(|m| m.scores.as_ref()).map(|s| s.clv_fen),
        open_journeys: people.journeys.get(&t.person).cloned().unwrap_or_default(),
        reason: t.reason.clone(),
        order_id: t.order_id.clone(),
        source: t.source.clone(),
        opened_at: opened,
        age_seconds: (t.resolved_at.unwrap_or(now) - opened).num_seconds().max(0),
        due_at: due,
        late: t.resolved_at.unwrap_or(now) > due,
        assignee: t.assignee.clone(),
        notes: t.notes.clone(),
        resolved_at: t.resolved_at,
        resolution: t.resolution.clone(),
    }
}

/// The after-sales figures of `[from, to]`, with what the audience knows of orders.
pub fn ticket_figures(
    desk: &Desk,
    settings: &Settings,
    audience: Option<&Audience>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> TicketFigures {
    let ordered = |p: PersonId, a: DateTime<Utc>, b: DateTime<Utc>| {
        audience.and_then(|x| x.member(p)).is_some_and(|m| m.profile.orders.iter().any(|(_, o)| a <= o.at && o.at < b))
    };
    figures::tickets(desk, &settings.sla, from, to, now, ordered)
}

pub fn reply_figures(
    desk: &Desk,
    settings: &Settings,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ReplyFigures {
    figures::replies(desk, &settings.sla, tz, from, to, now)
}

/// The conversations waiting, oldest first, at most `limit` (suggestions are added by the
/// caller, who holds the assistant); and how many there were.
pub fn waiting(
    desk: &Desk,
    settings: &Settings,
    tz: Tz,
    audience: Option<&Audience>,
    now: DateTime<Utc>,
    limit: usize,
) -> (Vec<WaitingRow>, usize) {
    let all = figures::unanswered(desk, &settings.sla, tz, now);
    let total = all.len();
    let rows = all
        .into_iter()
        .take(limit)
        .map(|(person, ask, reply)| {
            let c = &desk.conversations[&person];
            let latest = c.last();
            WaitingRow {
                person,
                name: None,
                tier: audience.and_then(|a| a.member(person)).map(|m| m.tier),
                asked_at: ask.at,
                text: ask.text.clone(),
                latest: latest.map(|l| l.text.clone()).unwrap_or_default(),
                staff: ask.staff.clone(),
                channel: latest.and_then(|l| l.channel.clone()),
                reply,
                suggestion: None,
                open_ticket: desk.tickets.values().any(|t| t.person == person && t.is_open() && t.opened_at.is_some()),
            }
        })
        .collect();
    (rows, total)
}

/// A person's conversation, the latest `limit` messages in time order.
pub fn thread(desk: &Desk, person: PersonId, limit: usize) -> Vec<LineRow> {
    let Some(c) = desk.conversations.get(&person) else { return Vec::new() };
    let skip = c.lines.len().saturating_sub(limit);
    c.lines
        .iter()
        .skip(skip)
        .map(|l| LineRow {
            at: l.at,
            inbound: l.inbound,
            staff: l.staff.clone(),
            channel: l.channel.clone(),
            text: l.text.clone(),
        })
        .collect()
}
