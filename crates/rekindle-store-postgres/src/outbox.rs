//! The outbox: queueing with caps taken atomically, claiming for dispatch, recording outcomes.
//! Same answers as SQLite's outbox.rs. SQLite's single writer makes count-then-insert atomic by
//! itself; here other nodes queue beside us, so `queue` first locks every person and number its
//! counts read (see `journey_lock.rs`), and claiming skips rows another dispatcher holds.

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::outreach::booked::Booked;
use rekindle_core::outreach::queueing::{self, Capped, Gate};
use rekindle_core::outreach::{CapsConfig, ChannelKind, Skip};
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{DeliveryError, Dispatched, NewMessage, OutboxMessage, OutboxState, Queued, Result, StoreError};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::{PgConnection, PgRow};

use crate::codec::{parse, unknown};
use crate::journey_lock::{self, Key};
use crate::people::PERSON_AND_MERGED;
use crate::{PostgresStore, db_err, done, sql, sql_owned};

/// States that do not use up a cap: the person got nothing.
pub(crate) const NOT_COUNTED: &str = "('skipped', 'failed')";

/// How queueing one message went, and the channel that took it.
pub(crate) struct Placed {
    pub queued: Queued,
    pub channel: ChannelKind,
}

/// Queue messages in order, inside the caller's transaction, each message's fate in turn.
pub(crate) async fn queue_in(
    c: &mut PgConnection,
    ws: WorkspaceId,
    messages: &[NewMessage],
    caps: &CapsConfig,
) -> Result<Vec<Placed>> {
    // Everything the counts below read is locked first, all of it at once: a node queueing for
    // the same person or number waits until we commit, then counts what we queued. The person's
    // lock also covers the queued messages a higher priority takes a slot from.
    let keys: Vec<Key> = messages
        .iter()
        .flat_map(NewMessage::choices)
        .filter(|m| m.skip.is_none() && m.channel.reaches_person())
        .flat_map(|m| {
            let number = (m.channel == ChannelKind::Sms).then(|| Key::number_messages(ws, &m.recipient));
            std::iter::once(Key::person_messages(ws, m.person)).chain(number)
        })
        .collect();
    journey_lock::lock(c, &keys).await.map_err(db_err)?;
    let mut queued = Vec::with_capacity(messages.len());
    for m in messages {
        queued.push(queue_one(c, ws, m, caps).await?);
    }
    Ok(queued)
}

async fn queue_one(c: &mut PgConnection, ws: WorkspaceId, m: &NewMessage, caps: &CapsConfig) -> Result<Placed> {
    let exists: bool = sql("SELECT EXISTS (SELECT 1 FROM outbox WHERE workspace_id = $1 AND send_key = $2)")
        .bind(ws.0)
        .bind(&m.send_key)
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    let duplicate = Placed { queued: Queued::Duplicate, channel: m.channel };
    if exists {
        return Ok(duplicate);
    }
    // The decision is core's (`queueing`); this only reads what each step asks for. The
    // channels are tried in order; the first with a slot takes the message.
    let mut tried = Vec::new();
    for x in m.choices() {
        match place(c, ws, m.person, x, caps).await? {
            Ok((shift, outranked)) => {
                let Some(id) = insert(c, ws, &m.send_key, x, shift, None, None).await? else { return Ok(duplicate) };
                if let Some(b) = outranked {
                    reschedule(c, ws, m.person, &b, caps).await?;
                }
                return Ok(Placed { queued: Queued::Queued(id), channel: x.channel });
            }
            Err(skip) => tried.push((x.channel, skip)),
        }
    }
    let skip = tried[0].1;
    let why = (!m.fallback.is_empty()).then(|| queueing::tried(&tried));
    Ok(match insert(c, ws, &m.send_key, m, 0, Some(skip), why.as_deref()).await? {
        Some(_) => Placed { queued: Queued::Skipped(skip), channel: m.channel },
        None => duplicate,
    })
}

/// Whether `x` has a slot (moved on how many days, and the queued message it outranked, now
/// marked so), or why not.
async fn place(
    c: &mut PgConnection,
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
        let sms =
            if x.channel == ChannelKind::Sms { sms_on(c, ws, &x.recipient, day).await.map_err(db_err)? } else { 0 };
        // A dispatcher may claim the message we would outrank between our read and our update
        // (claims take no person lock): then it holds its slot, and we read again.
        loop {
            let booked = booked(c, ws, person, caps.span(day)).await.map_err(db_err)?;
            match queueing::after_caps(caps, &x.outgoing(day), &booked, sms) {
                Capped::Full(skip) => {
                    first.get_or_insert(skip);
                    break;
                }
                Capped::Slot { outranks, next } => {
                    if next == Gate::CountCredits {
                        let unused = credits(c, ws, person, x.template.as_deref()).await.map_err(db_err)?;
                        if let Some(skip) = queueing::after_credits(unused) {
                            return Ok(Err(skip));
                        }
                    }
                    let outranked = outranks.and_then(|id| booked.into_iter().find(|b| b.id == id));
                    if let Some(b) = &outranked
                        && !outrank(c, b.id).await?
                    {
                        continue;
                    }
                    return Ok(Ok((shift, outranked)));
                }
            }
        }
    }
    Ok(Err(first.expect("at least one day is tried")))
}

/// The message's row; `None` when another node queued the same key since our check (only
/// messages nobody counts go unlocked): theirs stands, ours is the duplicate.
async fn insert(
    c: &mut PgConnection,
    ws: WorkspaceId,
    send_key: &str,
    m: &NewMessage,
    shift: u64,
    skip: Option<Skip>,
    why: Option<&str>,
) -> Result<Option<i64>> {
    let state = if skip.is_some() { OutboxState::Skipped } else { OutboxState::Queued };
    let row = sql("INSERT INTO outbox (workspace_id, send_key, person_id, journey_id, enrollment_id, step, variant,
                                       channel, recipient, sender, template, body, transactional, state, not_before,
                                       day, created_at, updated_at, error_code, error_message, priority, tag,
                                       defer_until)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19,
                           $20, $21, $22)
                   ON CONFLICT (workspace_id, send_key) DO NOTHING
                   RETURNING id")
    .bind(ws.0)
    .bind(send_key)
    .bind(m.person.0)
    .bind(m.journey.map(|j| j.0))
    .bind(m.enrollment)
    .bind(m.step.as_deref())
    .bind(m.variant.as_deref())
    .bind(m.channel.as_str())
    .bind(&m.recipient)
    .bind(m.sender.as_deref())
    .bind(m.template.as_deref())
    .bind(Json(&m.body))
    .bind(m.transactional)
    .bind(state.as_str())
    .bind(queueing::moved(m.not_before, shift))
    .bind(m.day + chrono::Days::new(shift))
    .bind(Utc::now())
    .bind(skip.map(Skip::as_str))
    .bind(why)
    .bind(i16::from(m.priority))
    .bind(m.tag.as_deref())
    .bind(queueing::defer_until(m.when_capped, m.day))
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| r.try_get(0)).transpose().map_err(db_err)
}

/// A queued message gives up its slot to a higher priority; `false` when a dispatcher took it
/// first.
async fn outrank(c: &mut PgConnection, id: i64) -> Result<bool> {
    let done = sql("UPDATE outbox SET state = 'skipped', error_code = $2, updated_at = $3
                    WHERE id = $1 AND state = 'queued'")
    .bind(id)
    .bind(Skip::Outranked.as_str())
    .bind(Utc::now())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

/// An outranked message whose journey defers: queued again on the first later day with a
/// free slot, up to its `defer_until`; otherwise it stays skipped.
async fn reschedule(
    c: &mut PgConnection,
    ws: WorkspaceId,
    person: PersonId,
    b: &Booked,
    caps: &CapsConfig,
) -> Result<()> {
    for shift in queueing::reschedule(b) {
        let o = queueing::outgoing_of(b, shift);
        let booked = booked(c, ws, person, caps.span(o.day)).await.map_err(db_err)?;
        let sms =
            if b.channel == ChannelKind::Sms { sms_on(c, ws, &b.recipient, o.day).await.map_err(db_err)? } else { 0 };
        if caps.decide(&o, &caps.count(&o, &booked, sms)).is_ok() {
            sql("UPDATE outbox SET state = 'queued', error_code = NULL, day = $2, not_before = $3, updated_at = $4
                 WHERE id = $1 AND state = 'skipped'")
            .bind(b.id)
            .bind(o.day)
            .bind(queueing::moved(b.not_before, shift))
            .bind(Utc::now())
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
            return Ok(());
        }
    }
    Ok(())
}

/// What the person (under their id, or the id of anyone merged into them) has booked over the
/// days caps count.
async fn booked(
    c: &mut PgConnection,
    ws: WorkspaceId,
    person: PersonId,
    (lo, hi): (NaiveDate, NaiveDate),
) -> Result<Vec<Booked>, Error> {
    let rows = sql_owned(format!(
        "SELECT id, day, channel, transactional, tag, sender, recipient, priority, state = 'queued', defer_until,
                not_before
         FROM outbox
         WHERE workspace_id = $1 AND day BETWEEN $3 AND $4 AND state NOT IN {NOT_COUNTED} AND channel <> 'webhook'
           AND person_id = {PERSON_AND_MERGED}"
    ))
    .bind(ws.0)
    .bind(person.0)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Booked {
                id: r.try_get(0)?,
                day: r.try_get(1)?,
                channel: parse::<ChannelKind>(r.try_get(2)?)?,
                transactional: r.try_get(3)?,
                tag: r.try_get(4)?,
                sender: r.try_get(5)?,
                recipient: r.try_get(6)?,
                priority: u8::try_from(r.try_get::<i16, _>(7)?).unwrap_or(u8::MAX),
                queued: r.try_get(8)?,
                defer_until: r.try_get(9)?,
                not_before: r.try_get(10)?,
            })
        })
        .collect()
}

/// SMS to one number on `day`, of every kind and anyone's.
async fn sms_on(c: &mut PgConnection, ws: WorkspaceId, number: &str, day: NaiveDate) -> Result<u32, Error> {
    let r = sql_owned(format!(
        "SELECT COUNT(*) FROM outbox WHERE workspace_id = $1 AND channel = 'sms' AND recipient = $2 AND day = $3
         AND state NOT IN {NOT_COUNTED}"
    ))
    .bind(ws.0)
    .bind(number)
    .bind(day)
    .fetch_one(&mut *c)
    .await?;
    Ok(u32::try_from(r.try_get::<i64, _>(0)?).unwrap_or(u32::MAX))
}

/// Mini-program acceptances not yet used by a message that was queued or sent.
async fn credits(
    c: &mut PgConnection,
    ws: WorkspaceId,
    person: PersonId,
    template: Option<&str>,
) -> Result<i64, Error> {
    sql_owned(format!(
        "SELECT (SELECT COUNT(*) FROM subscriptions WHERE workspace_id = $1 AND person_id = $2 AND template = $3)
              - (SELECT COUNT(*) FROM outbox WHERE workspace_id = $1 AND person_id = $2 AND channel = 'miniprogram'
                 AND template = $3 AND state NOT IN {NOT_COUNTED})"
    ))
    .bind(ws.0)
    .bind(person.0)
    .bind(template)
    .fetch_one(&mut *c)
    .await?
    .try_get(0)
}

/// Record how the provider call for a claimed message ended, on `c`.
async fn record(c: &mut PgConnection, id: i64, outcome: &Dispatched, at: DateTime<Utc>) -> Result<()> {
    let r = outcome.recorded(at);
    // Only while sending: a message recovered and resolved by another dispatcher stays as it was.
    let done = sql("UPDATE outbox SET state = $2, not_before = COALESCE($3, not_before),
                          provider_id = COALESCE($4, provider_id), error_kind = $5, error_code = $6,
                          error_message = $7, sent_at = COALESCE($8, sent_at), lease_until = NULL, updated_at = $9,
                          attempts = attempts - $10
                   WHERE id = $1 AND state = 'sending'")
    .bind(id)
    .bind(r.state.as_str())
    .bind(r.not_before)
    .bind(r.provider_id)
    .bind(r.error.as_ref().map(|e| e.kind.as_str()))
    .bind(r.error.as_ref().map(|e| e.code.as_str()))
    .bind(r.error.as_ref().map(|e| e.message.as_str()))
    .bind(r.sent_at)
    .bind(at)
    .bind(r.attempts_back)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("message {id} being sent")));
    }
    Ok(())
}

const OUTBOX_COLUMNS: &str = "id, workspace_id, send_key, person_id, journey_id, step, variant, channel, recipient,
    sender, template, body, transactional, state, attempts, not_before, day, created_at, updated_at, provider_id,
    error_kind, error_code, error_message, recovered";

fn outbox_row(r: &PgRow) -> Result<OutboxMessage, Error> {
    let state: &str = r.try_get(13)?;
    let Json(body) = r.try_get::<Json<serde_json::Value>, _>(11)?;
    Ok(OutboxMessage {
        id: r.try_get(0)?,
        workspace: WorkspaceId(r.try_get(1)?),
        send_key: r.try_get(2)?,
        person: PersonId(r.try_get(3)?),
        journey: r.try_get::<Option<i64>, _>(4)?.map(JourneyId),
        step: r.try_get(5)?,
        variant: r.try_get(6)?,
        channel: parse::<ChannelKind>(r.try_get(7)?)?,
        recipient: r.try_get(8)?,
        sender: r.try_get(9)?,
        template: r.try_get(10)?,
        body,
        transactional: r.try_get(12)?,
        state: OutboxState::parse(state).ok_or_else(|| unknown("outbox state", state))?,
        attempts: r.try_get(14)?,
        not_before: r.try_get(15)?,
        day: r.try_get::<NaiveDate, _>(16)?,
        created_at: r.try_get(17)?,
        updated_at: r.try_get(18)?,
        provider_id: r.try_get(19)?,
        error_kind: r.try_get(20)?,
        error_code: r.try_get(21)?,
        error_message: r.try_get(22)?,
        recovered: r.try_get(23)?,
    })
}

fn outbox_rows(rows: &[PgRow]) -> Result<Vec<OutboxMessage>> {
    rows.iter().map(outbox_row).collect::<Result<_, _>>().map_err(db_err)
}

#[async_trait::async_trait]
impl rekindle_store::Outbox for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn queue(&self, ws: WorkspaceId, messages: &[NewMessage], caps: &CapsConfig) -> Result<Vec<Queued>> {
        let mut tx = self.tx().await?;
        let queued = queue_in(&mut tx, ws, messages, caps).await?;
        done(tx, queued.into_iter().map(|p| p.queued).collect()).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        // One statement, committed on its own before this returns.
        // `SKIP LOCKED`: dispatchers on other nodes claiming at the same moment take other rows
        // instead of waiting for these; a row they claimed and committed meanwhile is rechecked
        // against the condition, so no row is claimed twice. The SET reads the row as it was, so
        // `recovered` and `attempts` see the state before it becomes 'sending'.
        let rows = sql_owned(format!(
            "UPDATE outbox SET recovered = (state = 'sending'),
                    attempts = attempts + CASE WHEN state = 'queued' THEN 1 ELSE 0 END,
                    state = 'sending', lease_until = $2, updated_at = $1
             WHERE id IN (SELECT id FROM outbox
                          WHERE (state = 'queued' AND not_before <= $1) OR (state = 'sending' AND lease_until < $1)
                          ORDER BY not_before, id LIMIT $3
                          FOR UPDATE SKIP LOCKED)
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(now)
        .bind(now + lease)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut claimed = outbox_rows(&rows)?;
        claimed.sort_by_key(|m| (m.not_before, m.id));
        Ok(claimed)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_dispatch(&self, id: i64, outcome: &Dispatched, at: DateTime<Utc>) -> Result<()> {
        record(&mut *self.conn().await?, id, outcome, at).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_dispatches(&self, outcomes: &[(i64, Dispatched)], at: DateTime<Utc>) -> Result<Vec<Result<()>>> {
        // One transaction: the rows are the dispatcher's own (claimed, `sending`), so no lock
        // is taken and none can be taken in two orders.
        let mut tx = self.tx().await?;
        let mut out = Vec::with_capacity(outcomes.len());
        for (id, outcome) in outcomes {
            out.push(match record(&mut tx, *id, outcome, at).await {
                Err(StoreError::NotFound(what)) => Err(StoreError::NotFound(what)),
                Err(e) => return Err(e),
                Ok(()) => Ok(()),
            });
        }
        done(tx, out).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn mark_all_delivered(&self, ws: WorkspaceId, marks: &[(String, DateTime<Utc>)]) -> Result<usize> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let mut found = 0;
        for (key, at) in marks {
            found += usize::from(deliver(&mut tx, ws, key, *at).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(found)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn fail_awaiting(&self, id: i64, error: &DeliveryError, at: DateTime<Utc>) -> Result<bool> {
        let done = sql(
            "UPDATE outbox SET state = 'failed', error_kind = $2, error_code = $3, error_message = $4, updated_at = $5
             WHERE id = $1 AND state = 'awaiting'",
        )
        .bind(id)
        .bind(&error.kind)
        .bind(&error.code)
        .bind(&error.message)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn messages(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<OutboxMessage>> {
        // Two statements, not `$2 IS NULL OR …`: a generic plan would read the whole outbox.
        let whose = if person.is_some() { "person_id = $2" } else { "$2::uuid IS NULL" };
        let rows = sql_owned(format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE workspace_id = $1 AND {whose} ORDER BY id DESC LIMIT $3"
        ))
        .bind(ws.0)
        .bind(person.map(|p| p.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        outbox_rows(&rows)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn messages_in_state(&self, state: OutboxState, limit: u32) -> Result<Vec<OutboxMessage>> {
        let rows = sql_owned(format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = $1 ORDER BY id LIMIT $2"))
            .bind(state.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        outbox_rows(&rows)
    }
}

/// Mark the message with this send key delivered; `false` when there is none.
async fn deliver(conn: &mut PgConnection, ws: WorkspaceId, send_key: &str, at: DateTime<Utc>) -> Result<bool> {
    let done = sql(
        "UPDATE outbox SET state = CASE WHEN state IN ('sent', 'awaiting', 'uncertain') THEN 'delivered' ELSE state END,
                delivered_at = COALESCE(delivered_at, $3), updated_at = $3
         WHERE workspace_id = $1 AND send_key = $2",
    )
    .bind(ws.0)
    .bind(send_key)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}
