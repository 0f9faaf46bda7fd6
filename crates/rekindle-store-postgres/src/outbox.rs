//! The outbox: queueing with caps taken atomically, claiming for dispatch, recording outcomes.
//! Same answers as SQLite's outbox.rs. SQLite's single writer makes count-then-insert atomic by
//! itself; here other nodes queue beside us, so `queue` first locks every person and number its
//! counts read (see `journey_lock.rs`), and claiming skips rows another dispatcher holds.

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::outreach::queueing::{self, Gate};
use rekindle_core::outreach::{CapsConfig, ChannelKind, Counted};
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{
    CapWindow, DeliveryError, Dispatched, NewMessage, OutboxMessage, OutboxState, Queued, Result, StoreError,
};
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

/// Queue messages in order, inside the caller's transaction, each message's fate in turn.
pub(crate) async fn queue_in(
    c: &mut PgConnection,
    ws: WorkspaceId,
    messages: &[NewMessage],
    caps: &CapsConfig,
) -> Result<Vec<Queued>> {
    // Everything the counts below read is locked first, all of it at once: a node queueing for
    // the same person or number waits until we commit, then counts what we queued.
    let keys: Vec<Key> = messages
        .iter()
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

async fn queue_one(c: &mut PgConnection, ws: WorkspaceId, m: &NewMessage, caps: &CapsConfig) -> Result<Queued> {
    let exists: bool = sql("SELECT EXISTS (SELECT 1 FROM outbox WHERE workspace_id = $1 AND send_key = $2)")
        .bind(ws.0)
        .bind(&m.send_key)
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    if exists {
        return Ok(Queued::Duplicate);
    }
    // The decision is core's (`queueing`); this only reads what each step asks for.
    let skip = match queueing::screen(m.skip, m.channel) {
        Gate::Decided(skip) => skip,
        _ => {
            let counted = count(c, ws, m).await.map_err(db_err)?;
            match queueing::after_caps(caps, m.channel, m.transactional, &counted, m.month_days) {
                Gate::Decided(skip) => skip,
                _ => queueing::after_credits(credits(c, ws, m.person, m.template.as_deref()).await.map_err(db_err)?),
            }
        }
    };
    let (state, code) = match skip {
        Some(s) => (OutboxState::Skipped, Some(s.as_str())),
        None => (OutboxState::Queued, None),
    };
    // The same key queued by another node since the check above (only messages nobody counts
    // go unlocked): theirs stands, ours is the duplicate.
    let id = sql("INSERT INTO outbox (workspace_id, send_key, person_id, journey_id, enrollment_id, step, variant,
                                      channel, recipient, sender, template, body, transactional, state, not_before,
                                      day, created_at, updated_at, error_code)
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18)
                  ON CONFLICT (workspace_id, send_key) DO NOTHING
                  RETURNING id")
    .bind(ws.0)
    .bind(&m.send_key)
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
    .bind(m.not_before)
    .bind(m.day)
    .bind(Utc::now())
    .bind(code)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(match (id, skip) {
        (None, _) => Queued::Duplicate,
        (Some(_), Some(s)) => Queued::Skipped(s),
        (Some(r), None) => Queued::Queued(r.try_get(0).map_err(db_err)?),
    })
}

/// A count from the database as the caps count it.
fn n(r: &PgRow, i: usize) -> Result<u32, Error> {
    Ok(u32::try_from(r.try_get::<i64, _>(i)?).unwrap_or(u32::MAX))
}

/// What was already queued or sent to the person (under their id, or the id of anyone merged
/// into them), over the windows caps count.
async fn count(c: &mut PgConnection, ws: WorkspaceId, m: &NewMessage) -> Result<Counted, Error> {
    let w = CapWindow::of(m.day);
    let (lo, hi) = w.span();
    // `IS NOT DISTINCT FROM`: no sender matches no sender, as SQLite's `IS` does.
    let r = sql_owned(format!(
        "SELECT
            COUNT(*) FILTER (WHERE channel = $5 AND NOT transactional AND day = $6),
            COUNT(*) FILTER (WHERE channel <> 'webhook' AND NOT transactional AND day = $6),
            COUNT(*) FILTER (WHERE channel = 'wecom' AND day BETWEEN $7 AND $8),
            COUNT(*) FILTER (WHERE channel = 'wecom' AND day BETWEEN $9 AND $10),
            COUNT(*) FILTER (WHERE channel = 'wecom' AND day = $6),
            COUNT(*) FILTER (WHERE channel = 'wecom' AND day = $6 AND sender IS NOT DISTINCT FROM $11)
         FROM outbox
         WHERE workspace_id = $1 AND day BETWEEN $3 AND $4 AND state NOT IN {NOT_COUNTED}
           AND person_id IN {PERSON_AND_MERGED}"
    ))
    .bind(ws.0)
    .bind(m.person.0)
    .bind(lo)
    .bind(hi)
    .bind(m.channel.as_str())
    .bind(m.day)
    .bind(w.month.0)
    .bind(w.month.1)
    .bind(w.week.0)
    .bind(w.week.1)
    .bind(m.sender.as_deref())
    .fetch_one(&mut *c)
    .await?;
    let mut counted = Counted {
        channel_day: n(&r, 0)?,
        all_day: n(&r, 1)?,
        wecom_month: n(&r, 2)?,
        wecom_week: n(&r, 3)?,
        wecom_day: n(&r, 4)?,
        wecom_staff_day: n(&r, 5)?,
        sms_number_day: 0,
    };
    if m.channel == ChannelKind::Sms {
        let r = sql_owned(format!(
            "SELECT COUNT(*) FROM outbox WHERE workspace_id = $1 AND channel = 'sms' AND recipient = $2 AND day = $3
             AND state NOT IN {NOT_COUNTED}"
        ))
        .bind(ws.0)
        .bind(&m.recipient)
        .bind(m.day)
        .fetch_one(&mut *c)
        .await?;
        counted.sms_number_day = n(&r, 0)?;
    }
    Ok(counted)
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
                          error_message = $7, sent_at = COALESCE($8, sent_at), lease_until = NULL, updated_at = $9
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
        done(tx, queued).await
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
    async fn mark_delivered(&self, ws: WorkspaceId, send_key: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = sql(
            "UPDATE outbox SET state = CASE WHEN state IN ('sent', 'awaiting', 'uncertain') THEN 'delivered' ELSE state END,
                    delivered_at = COALESCE(delivered_at, $3), updated_at = $3
             WHERE workspace_id = $1 AND send_key = $2",
        )
        .bind(ws.0)
        .bind(send_key)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
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
