//! The outbox: queueing with caps taken atomically, claiming for dispatch, recording outcomes.
//! SQLite has one writer, so the write transaction alone makes count-then-insert atomic.

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::outreach::booked::Booked;
use rekindle_core::outreach::queueing::{self, Capped, Gate};
use rekindle_core::outreach::{CapsConfig, ChannelKind, Skip};
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{
    DeliveryError, Dispatched, NewMessage, Outbox, OutboxMessage, OutboxState, Queued, Result, StoreError,
};
use rusqlite::{Connection, params};

use crate::Cached;
use crate::codec::{ms, time};
use crate::journeys::bad;
use crate::people::PERSON_AND_MERGED;
use crate::{SqliteStore, db_err};

/// States that do not use up a cap: the person got nothing.
const NOT_COUNTED: &str = "('skipped', 'failed')";

/// How queueing one message went, and the channel that took it.
pub(crate) struct Placed {
    pub queued: Queued,
    pub channel: ChannelKind,
}

pub(crate) fn queue_one(c: &Connection, ws: WorkspaceId, m: &NewMessage, caps: &CapsConfig) -> Result<Placed> {
    let exists: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM outbox WHERE workspace_id = ?1 AND send_key = ?2)")
        .map_err(db_err)?
        .query_row(params![ws.0, m.send_key], |r| r.get(0))
        .map_err(db_err)?;
    if exists {
        return Ok(Placed { queued: Queued::Duplicate, channel: m.channel });
    }
    // The decision is core's (`queueing`); this only reads what each step asks for. The
    // channels are tried in order; the first with a slot takes the message.
    let mut tried = Vec::new();
    for x in m.choices() {
        match place(c, ws, m.person, x, caps)? {
            Ok((shift, outranked)) => {
                let id = insert(c, ws, &m.send_key, x, shift, None, None)?;
                if let Some(b) = outranked {
                    reschedule(c, ws, m.person, &b, caps)?;
                }
                return Ok(Placed { queued: Queued::Queued(id), channel: x.channel });
            }
            Err(skip) => tried.push((x.channel, skip)),
        }
    }
    let skip = tried[0].1;
    let why = (!m.fallback.is_empty()).then(|| queueing::tried(&tried));
    insert(c, ws, &m.send_key, m, 0, Some(skip), why.as_deref())?;
    Ok(Placed { queued: Queued::Skipped(skip), channel: m.channel })
}

/// Whether `x` has a slot (moved on how many days, and the queued message it outranked, now
/// marked so), or why not.
fn place(
    c: &Connection,
    ws: WorkspaceId,
    person: PersonId,
    x: &NewMessage,
    caps: &CapsConfig,
) -> Result<std::result::Result<(u64, Option<Booked>), Skip>> {
    match queueing::screen(x.skip, x.channel) {
        Gate::Decided(Some(skip)) => return Ok(Err(skip)),
        Gate::Decided(None) => return Ok(Ok((0, None))),
        _ => {}
    }
    let mut first = None;
    for shift in queueing::shifts(x.when_capped) {
        let day = x.day + chrono::Days::new(shift);
        let booked = booked(c, ws, person, caps.span(day))?;
        let sms = sms_count(c, ws, x, day)?;
        match queueing::after_caps(caps, &x.outgoing(day), &booked, sms) {
            Capped::Full(skip) => {
                first.get_or_insert(skip);
            }
            Capped::Slot { outranks, next } => {
                if next == Gate::CountCredits
                    && let Some(skip) = queueing::after_credits(credits(c, ws, person, x.template.as_deref())?)
                {
                    return Ok(Err(skip));
                }
                let outranked = outranks.and_then(|id| booked.into_iter().find(|b| b.id == id));
                if let Some(b) = &outranked {
                    outrank(c, b.id)?;
                }
                return Ok(Ok((shift, outranked)));
            }
        }
    }
    Ok(Err(first.expect("at least one day is tried")))
}

fn insert(
    c: &Connection,
    ws: WorkspaceId,
    send_key: &str,
    m: &NewMessage,
    shift: u64,
    skip: Option<Skip>,
    why: Option<&str>,
) -> Result<i64> {
    let state = if skip.is_some() { OutboxState::Skipped } else { OutboxState::Queued };
    let now = ms(Utc::now());
    c.prepare_cached(
        "INSERT INTO outbox (workspace_id, send_key, person_id, journey_id, enrollment_id, step, variant, channel,
                             recipient, sender, template, body, transactional, state, not_before, day, created_at,
                             updated_at, error_code, error_message, priority, tag, defer_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18, ?19, ?20, ?21,
                 ?22)
         RETURNING id",
    )
    .map_err(db_err)?
    .query_row(
        params![
            ws.0,
            send_key,
            m.person.0,
            m.journey.map(|j| j.0),
            m.enrollment,
            m.step,
            m.variant,
            m.channel.as_str(),
            m.recipient,
            m.sender,
            m.template,
            m.body.to_string(),
            m.transactional,
            state.as_str(),
            ms(queueing::moved(m.not_before, shift)),
            (m.day + chrono::Days::new(shift)).to_string(),
            now,
            skip.map(Skip::as_str),
            why,
            m.priority,
            m.tag,
            queueing::defer_until(m.when_capped, m.day).map(|d| d.to_string()),
        ],
        |r| r.get::<_, i64>(0),
    )
    .map_err(db_err)
}

/// A queued message gives up its slot to a higher priority.
fn outrank(c: &Connection, id: i64) -> Result<()> {
    c.cached_execute(
        "UPDATE outbox SET state = 'skipped', error_code = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'queued'",
        params![id, Skip::Outranked.as_str(), ms(Utc::now())],
    )
    .map_err(db_err)?;
    Ok(())
}

/// An outranked message whose journey defers: queued again on the first later day with a
/// free slot, up to its `defer_until`; otherwise it stays skipped.
fn reschedule(c: &Connection, ws: WorkspaceId, person: PersonId, b: &Booked, caps: &CapsConfig) -> Result<()> {
    for shift in queueing::reschedule(b) {
        let o = queueing::outgoing_of(b, shift);
        let booked = booked(c, ws, person, caps.span(o.day))?;
        let sms = if b.channel == ChannelKind::Sms { sms_on(c, ws, &b.recipient, o.day)? } else { 0 };
        if caps.decide(&o, &caps.count(&o, &booked, sms)).is_ok() {
            c.cached_execute(
                "UPDATE outbox SET state = 'queued', error_code = NULL, day = ?2, not_before = ?3, updated_at = ?4
                 WHERE id = ?1 AND state = 'skipped'",
                params![b.id, o.day.to_string(), ms(queueing::moved(b.not_before, shift)), ms(Utc::now())],
            )
            .map_err(db_err)?;
            return Ok(());
        }
    }
    Ok(())
}

/// What the person (under their id, or the id of anyone merged into them) has booked over the
/// days caps count.
fn booked(c: &Connection, ws: WorkspaceId, person: PersonId, (lo, hi): (NaiveDate, NaiveDate)) -> Result<Vec<Booked>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT id, day, channel, transactional, tag, sender, recipient, priority, state = 'queued', defer_until,
                    not_before
             FROM outbox
             WHERE workspace_id = ?1 AND day BETWEEN ?3 AND ?4 AND state NOT IN {NOT_COUNTED} AND channel <> 'webhook'
               AND person_id IN {PERSON_AND_MERGED}"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, person.0, lo.to_string(), hi.to_string()], |r| {
            let conversion = |i: usize, what: &str, v: &str| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(bad(what, v)))
            };
            let day: String = r.get(1)?;
            let channel: String = r.get(2)?;
            let until: Option<String> = r.get(9)?;
            Ok(Booked {
                id: r.get(0)?,
                day: day.parse().map_err(|_| conversion(1, "day", &day))?,
                channel: channel.parse().map_err(|_| conversion(2, "channel", &channel))?,
                transactional: r.get(3)?,
                tag: r.get(4)?,
                sender: r.get(5)?,
                recipient: r.get(6)?,
                priority: r.get(7)?,
                queued: r.get(8)?,
                defer_until: until.as_deref().map(str::parse).transpose().map_err(|_| conversion(9, "day", "?"))?,
                not_before: time(r.get(10)?),
            })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

/// SMS to the message's number on `day`, of every kind and anyone's (none counted for other
/// channels).
fn sms_count(c: &Connection, ws: WorkspaceId, m: &NewMessage, day: NaiveDate) -> Result<u32> {
    if m.channel != ChannelKind::Sms {
        return Ok(0);
    }
    sms_on(c, ws, &m.recipient, day)
}

fn sms_on(c: &Connection, ws: WorkspaceId, number: &str, day: NaiveDate) -> Result<u32> {
    c.prepare_cached(&format!(
        "SELECT COUNT(*) FROM outbox WHERE workspace_id = ?1 AND channel = 'sms' AND recipient = ?2 AND day = ?3
         AND state NOT IN {NOT_COUNTED}"
    ))
    .map_err(db_err)?
    .query_row(params![ws.0, number, day.to_string()], |r| r.get(0))
    .map_err(db_err)
}

/// Mini-program acceptances not yet used by a message that was queued or sent.
pub(crate) fn credits(c: &Connection, ws: WorkspaceId, person: PersonId, template: Option<&str>) -> Result<i64> {
    c.prepare_cached(&format!(
        "SELECT (SELECT COUNT(*) FROM subscriptions WHERE workspace_id = ?1 AND person_id = ?2 AND template = ?3)
              - (SELECT COUNT(*) FROM outbox WHERE workspace_id = ?1 AND person_id = ?2 AND channel = 'miniprogram'
                 AND template = ?3 AND state NOT IN {NOT_COUNTED})"
    ))
    .map_err(db_err)?
    .query_row(params![ws.0, person.0, template], |r| r.get(0))
    .map_err(db_err)
}

const OUTBOX_COLUMNS: &str = "id, workspace_id, send_key, person_id, journey_id, step, variant, channel, recipient,
    sender, template, body, transactional, state, attempts, not_before, day, created_at, updated_at, provider_id,
    error_kind, error_code, error_message, recovered";

fn outbox_row(r: &rusqlite::Row) -> rusqlite::Result<OutboxMessage> {
    let conversion = |i: usize, what: &str, v: &str| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(bad(what, v)))
    };
    let channel: String = r.get(7)?;
    let state: String = r.get(13)?;
    let body: String = r.get(11)?;
    let day: String = r.get(16)?;
    Ok(OutboxMessage {
        id: r.get(0)?,
        workspace: WorkspaceId(r.get(1)?),
        send_key: r.get(2)?,
        person: PersonId(r.get(3)?),
        journey: r.get::<_, Option<i64>>(4)?.map(JourneyId),
        step: r.get(5)?,
        variant: r.get(6)?,
        channel: channel.parse().map_err(|_| conversion(7, "channel", &channel))?,
        recipient: r.get(8)?,
        sender: r.get(9)?,
        template: r.get(10)?,
        body: serde_json::from_str(&body).map_err(|_| conversion(11, "body", &body))?,
        transactional: r.get(12)?,
        state: OutboxState::parse(&state).ok_or_else(|| conversion(13, "state", &state))?,
        attempts: r.get(14)?,
        not_before: time(r.get(15)?),
        day: day.parse().map_err(|_| conversion(16, "day", &day))?,
        created_at: time(r.get(17)?),
        updated_at: time(r.get(18)?),
        provider_id: r.get(19)?,
        error_kind: r.get(20)?,
        error_code: r.get(21)?,
        error_message: r.get(22)?,
        recovered: r.get(23)?,
    })
}

fn claim(c: &Connection, now: DateTime<Utc>, lease: chrono::Duration, limit: u32) -> Result<Vec<OutboxMessage>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "UPDATE outbox SET recovered = (state = 'sending'), attempts = attempts + (state = 'queued'),
                    state = 'sending', lease_until = ?2, updated_at = ?1
             WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND not_before <= ?1
                          UNION ALL SELECT id FROM outbox WHERE state = 'sending' AND lease_until < ?1
                          LIMIT ?3)
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ms(now), ms(now + lease), limit], outbox_row).map_err(db_err)?;
    let mut claimed: Vec<OutboxMessage> = rows.collect::<rusqlite::Result<_>>().map_err(db_err)?;
    claimed.sort_by_key(|m| (m.not_before, m.id));
    Ok(claimed)
}

fn record(c: &Connection, id: i64, outcome: &Dispatched, at: DateTime<Utc>) -> Result<()> {
    let r = outcome.recorded(at);
    let n = c
        .prepare_cached(
            "UPDATE outbox SET state = ?2, not_before = COALESCE(?3, not_before), provider_id = COALESCE(?4, provider_id),
                    error_kind = ?5, error_code = ?6, error_message = ?7, sent_at = COALESCE(?8, sent_at),
                    lease_until = NULL, updated_at = ?9, attempts = attempts - ?10
             WHERE id = ?1 AND state = 'sending'",
        )
        .map_err(db_err)?
        .execute(params![
            id,
            r.state.as_str(),
            r.not_before.map(ms),
            r.provider_id,
            r.error.as_ref().map(|e| e.kind.as_str()),
            r.error.as_ref().map(|e| e.code.as_str()),
            r.error.as_ref().map(|e| e.message.as_str()),
            r.sent_at.map(ms),
            ms(at),
            r.attempts_back
        ])
        .map_err(db_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("message {id} being sent")));
    }
    Ok(())
}

fn deliver(c: &Connection, ws: WorkspaceId, key: &str, at: DateTime<Utc>) -> Result<bool> {
    let n = c
        .cached_execute(
            "UPDATE outbox SET state = CASE WHEN state IN ('sent', 'awaiting', 'uncertain') THEN 'delivered' ELSE state END,
                    delivered_at = COALESCE(delivered_at, ?3), updated_at = ?3
             WHERE workspace_id = ?1 AND send_key = ?2",
            params![ws.0, key, ms(at)],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Which of `keys` name a message in the workspace's outbox.
fn queued_keys(c: &Connection, ws: WorkspaceId, keys: &[String]) -> Result<std::collections::HashSet<String>> {
    let mut stmt =
        c.prepare_cached("SELECT 1 FROM outbox WHERE workspace_id = ?1 AND send_key = ?2").map_err(db_err)?;
    let mut ours = std::collections::HashSet::new();
    for key in keys {
        if stmt.exists(params![ws.0, key]).map_err(db_err)? {
            ours.insert(key.clone());
        }
    }
    Ok(ours)
}

fn fail(c: &Connection, id: i64, e: &DeliveryError, at: DateTime<Utc>) -> Result<bool> {
    let n = c
        .cached_execute(
            "UPDATE outbox SET state = 'failed', error_kind = ?2, error_code = ?3, error_message = ?4, updated_at = ?5
             WHERE id = ?1 AND state = 'awaiting'",
            params![id, e.kind, e.code, e.message, ms(at)],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

fn list(c: &Connection, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<OutboxMessage>> {
    // Two statements, not `?2 IS NULL OR …`: that would read the whole outbox for one person.
    let whose = if person.is_some() { "person_id = ?2" } else { "?2 IS NULL" };
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE workspace_id = ?1 AND {whose} ORDER BY id DESC LIMIT ?3"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, person.map(|p| p.0), limit], outbox_row).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn in_state(c: &Connection, state: OutboxState, limit: u32) -> Result<Vec<OutboxMessage>> {
    let mut stmt = c
        .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = ?1 ORDER BY id LIMIT ?2"))
        .map_err(db_err)?;
    let rows = stmt.query_map(params![state.as_str(), limit], outbox_row).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

#[async_trait::async_trait]
impl Outbox for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn queue(&self, ws: WorkspaceId, messages: &[NewMessage], caps: &CapsConfig) -> Result<Vec<Queued>> {
        let (messages, caps) = (messages.to_vec(), caps.clone());
        self.write_runs(move |tx| messages.iter().map(|m| Ok(queue_one(tx, ws, m, &caps)?.queued)).collect()).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        self.write_runs(move |tx| claim(tx, now, lease, limit)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_dispatch(&self, id: i64, outcome: &Dispatched, at: DateTime<Utc>) -> Result<()> {
        let outcome = outcome.clone();
        self.write_runs(move |tx| record(tx, id, &outcome, at)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_dispatches(&self, outcomes: &[(i64, Dispatched)], at: DateTime<Utc>) -> Result<Vec<Result<()>>> {
        let outcomes = outcomes.to_vec();
        self.write_runs(move |tx| {
            outcomes
                .iter()
                .map(|(id, o)| match record(tx, *id, o, at) {
                    Err(StoreError::NotFound(w)) => Ok(Err(StoreError::NotFound(w))),
                    Err(e) => Err(e),
                    Ok(()) => Ok(Ok(())),
                })
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn mark_all_delivered(&self, ws: WorkspaceId, marks: &[(String, DateTime<Utc>)]) -> Result<usize> {
        // Receipts that name no message of this outbox (another system's sends) are dropped on
        // a reader, so they never wait for the one writer: under a busy store's ingestion the
        // journey runner's pass waited for an append before each such write. A receipt comes
        // after its message was queued, so what a reader does not see is not ours.
        let keys: Vec<String> = marks.iter().map(|(k, _)| k.clone()).collect();
        let ours = self.read(move |c| queued_keys(c, ws, &keys)).await?;
        let marks: Vec<_> = marks.iter().filter(|(k, _)| ours.contains(k)).cloned().collect();
        if marks.is_empty() {
            return Ok(0);
        }
        self.write_runs(move |tx| {
            let mut found = 0;
            for (key, at) in &marks {
                found += usize::from(deliver(tx, ws, key, *at)?);
            }
            Ok(found)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn fail_awaiting(&self, id: i64, error: &DeliveryError, at: DateTime<Utc>) -> Result<bool> {
        let error = error.clone();
        self.write_runs(move |tx| fail(tx, id, &error, at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn messages(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<OutboxMessage>> {
        self.read(move |c| list(c, ws, person, limit)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn messages_in_state(&self, state: OutboxState, limit: u32) -> Result<Vec<OutboxMessage>> {
        self.read(move |c| in_state(c, state, limit)).await
    }
}
