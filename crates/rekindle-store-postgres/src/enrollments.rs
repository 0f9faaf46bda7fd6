//! Enrollments: people walking journeys, and where the journey runner is in the log and the
//! change records. Same answers as SQLite's journeys.rs; what differs is that other nodes write
//! beside us, so enrolling locks (journey, person) first and a walk's result applies only if
//! the enrollment has not moved on.

use chrono::{DateTime, Utc};
use rekindle_core::journey::{Definition, Reentry};
use rekindle_core::outreach::CapsConfig;
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{
    Advance, ChangeCursors, Enrollment, EnrollmentState, NewEnrollment, Queued, Result, StepRecord, StoreError,
    WalkedEntry,
};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::{PgConnection, PgRow};

use crate::codec::unknown;
use crate::journey_lock::{self, Key};
use crate::outbox::queue_in;
use crate::people::PERSON_AND_MERGED;
use crate::{PostgresStore, db_err, done, sql, sql_owned};

const ENROLLMENT_COLUMNS: &str = "id, journey_id, version, person_id, state, step, wake_at, variant, seq, entered_at,
    updated_at, converted_at, context";

fn enrollment(r: &PgRow) -> Result<Enrollment, Error> {
    let state: &str = r.try_get(4)?;
    Ok(Enrollment {
        id: r.try_get(0)?,
        journey: JourneyId(r.try_get(1)?),
        version: r.try_get(2)?,
        person: PersonId(r.try_get(3)?),
        state: EnrollmentState::parse(state).ok_or_else(|| unknown("enrollment state", state))?,
        step: r.try_get(5)?,
        wake_at: r.try_get(6)?,
        variant: r.try_get(7)?,
        seq: r.try_get(8)?,
        entered_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
        converted_at: r.try_get(11)?,
        context: r.try_get::<Json<serde_json::Value>, _>(12)?.0,
    })
}

/// Enter a person inside the caller's transaction (see [`rekindle_store::Enrollments::enroll`]),
/// under `id` if one was reserved for them, else the sequence's next.
async fn enroll_in(
    c: &mut PgConnection,
    ws: WorkspaceId,
    e: &NewEnrollment,
    id: Option<i64>,
) -> Result<Option<Enrollment>> {
    // Another node enrolling this person in this journey waits here until we commit, then sees
    // our enrollment in its re-entry check: the policy holds across nodes.
    // A journey with entry limits is also locked whole: nodes entering different people count
    // its entries one after another, so none takes a place another has taken.
    let mut keys = vec![Key::enrollment(e.journey.0, e.person)];
    if !e.limits.is_none() {
        keys.push(Key::journey_entries(e.journey.0));
    }
    journey_lock::lock(c, &keys).await.map_err(db_err)?;
    let seen: bool = sql("SELECT EXISTS (SELECT 1 FROM enrollments WHERE journey_id = $1 AND trigger_key = $2)")
        .bind(e.journey.0)
        .bind(&e.trigger_key)
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    if seen {
        return Ok(None);
    }
    let (blocking, since) = match e.reentry {
        Reentry::Once => (
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE workspace_id = $1 AND person_id = $2 AND journey_id = $3)",
            None,
        ),
        Reentry::After { days } => (
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE workspace_id = $1 AND person_id = $2 AND journey_id = $3
                            AND (entered_at > $4 OR state = 'active'))",
            Some(e.at - chrono::Duration::days(i64::from(days))),
        ),
        Reentry::Always => (
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE workspace_id = $1 AND person_id = $2 AND journey_id = $3
                            AND state = 'active')",
            None,
        ),
    };
    let mut blocking = sql(blocking).bind(ws.0).bind(e.person.0).bind(e.journey.0);
    if let Some(since) = since {
        blocking = blocking.bind(since);
    }
    let blocked: bool = blocking.fetch_one(&mut *c).await.and_then(|r| r.try_get(0)).map_err(db_err)?;
    if blocked || refused(c, ws, e).await? {
        return Ok(None);
    }
    let first = sql("SELECT definition FROM journey_versions WHERE journey_id = $1 AND version = $2")
        .bind(e.journey.0)
        .bind(e.version)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("journey {} version {}", e.journey, e.version)))?;
    let Json(definition) = first.try_get::<Json<Definition>, _>(0).map_err(db_err)?;
    let first = definition.steps.first().map(|s| s.id.clone());
    // A node that took the same trigger for someone else (not under our lock) wins the unique
    // key: nothing is inserted and the trigger counts as seen, as the check above would say.
    // The id column, reserved or the sequence's default.
    let (column, value) = match id {
        Some(_) => ("id, ", "$9, "),
        None => ("", ""),
    };
    let row = sql_owned(format!(
        "INSERT INTO enrollments ({column}workspace_id, journey_id, version, person_id, trigger_key, state, step,
                                  wake_at, seq, entered_at, updated_at, context)
         VALUES ({value}$1, $2, $3, $4, $5, 'active', $6, $7, 0, $7, $7, $8)
         ON CONFLICT (journey_id, trigger_key) DO NOTHING
         RETURNING {ENROLLMENT_COLUMNS}"
    ))
    .bind(ws.0)
    .bind(e.journey.0)
    .bind(e.version)
    .bind(e.person.0)
    .bind(&e.trigger_key)
    .bind(first.as_deref())
    .bind(e.at)
    .bind(Json(&e.context))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let entered = enrollment(&row).map_err(db_err)?;
    let log = [Logged { step: first.as_deref().unwrap_or(""), outcome: "entered", detail: None }];
    log_steps(c, ws, entered.journey.0, entered.id, None, &log, e.at).await?;
    Ok(Some(entered))
}

/// Whether the journey's entry limits turn this person away (recorded for the readout);
/// called under the journey's lock.
async fn refused(c: &mut PgConnection, ws: WorkspaceId, e: &NewEnrollment) -> Result<bool> {
    if e.limits.is_none() {
        return Ok(false);
    }
    // Counted only as far as the limit: a full journey needs no exact figure.
    let upto = |limit: Option<u32>| i64::from(limit.unwrap_or(0));
    let total: i64 = sql("SELECT COUNT(*) FROM (SELECT 1 FROM enrollments WHERE journey_id = $1 LIMIT $2) AS t")
        .bind(e.journey.0)
        .bind(upto(e.limits.total))
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    let today: i64 = match &e.limits.day {
        Some(day) => sql("SELECT COUNT(*) FROM (SELECT 1 FROM enrollments
                                                WHERE journey_id = $1 AND entered_at >= $2 AND entered_at < $3
                                                LIMIT $4) AS t")
        .bind(e.journey.0)
        .bind(day.start)
        .bind(day.end)
        .bind(upto(e.limits.per_day))
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?,
        None => 0,
    };
    let Some(refusal) = e.limits.refusal(today as u64, total as u64) else { return Ok(false) };
    sql("INSERT INTO journey_entry_refusals (journey_id, person_id, workspace_id, reason, times, at)
         VALUES ($1, $2, $3, $4, 1, $5)
         ON CONFLICT (journey_id, person_id) DO UPDATE
         SET reason = excluded.reason, times = journey_entry_refusals.times + 1, at = excluded.at")
    .bind(e.journey.0)
    .bind(e.person.0)
    .bind(ws.0)
    .bind(refusal.as_str())
    .bind(e.at)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(true)
}

/// One line of the readout's history.
struct Logged<'a> {
    step: &'a str,
    outcome: &'a str,
    detail: Option<&'a str>,
}

async fn log_steps(
    c: &mut PgConnection,
    ws: WorkspaceId,
    journey: i64,
    enrollment: i64,
    variant: Option<&str>,
    log: &[Logged<'_>],
    at: DateTime<Utc>,
) -> Result<()> {
    if log.is_empty() {
        return Ok(());
    }
    // One statement for the lot; `ORDER BY n` keeps ids in the order given.
    sql("INSERT INTO journey_steps (workspace_id, journey_id, enrollment_id, step, variant, outcome, detail, at)
         SELECT $1, $2, $3, t.step, $4, t.outcome, t.detail, $5
         FROM UNNEST($6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS t(step, outcome, detail, n)
         ORDER BY n")
    .bind(ws.0)
    .bind(journey)
    .bind(enrollment)
    .bind(variant)
    .bind(at)
    .bind(log.iter().map(|l| l.step).collect::<Vec<_>>())
    .bind(log.iter().map(|l| l.outcome).collect::<Vec<_>>())
    .bind(log.iter().map(|l| l.detail).collect::<Vec<_>>())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A person's enrollments, `open_only` or all.
async fn of_person(
    c: &mut PgConnection,
    ws: WorkspaceId,
    person: PersonId,
    open_only: bool,
) -> Result<Vec<Enrollment>> {
    // With those entered under the ids of people since merged into this one.
    let whose = format!("workspace_id = $1 AND person_id = {PERSON_AND_MERGED}");
    let sql_text = if open_only {
        format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE {whose}
             AND state IN ('active', 'finished', 'held_out') ORDER BY id"
        )
    } else {
        format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE {whose} ORDER BY id DESC")
    };
    let rows = sql_owned(sql_text).bind(ws.0).bind(person.0).fetch_all(&mut *c).await.map_err(db_err)?;
    rows.iter().map(enrollment).collect::<Result<_, _>>().map_err(db_err)
}

/// Apply a walk inside the caller's transaction (see [`rekindle_store::Enrollments::advance`]):
/// `None`, having written nothing, when the enrollment moved on.
async fn advance_in(
    tx: &mut PgConnection,
    ws: WorkspaceId,
    advance: &Advance,
    caps: &CapsConfig,
) -> Result<Option<Vec<Queued>>> {
    // Move the enrollment to where the walk left it, if it is still where the walk began.
    // Optimistic on `seq`: a walk racing ours on another node waits for our row lock, then
    // finds `seq` moved on and matches nothing.
    let row = sql("UPDATE enrollments SET state = $4, step = $5, wake_at = $6, variant = COALESCE($7, variant),
                          seq = seq + 1, updated_at = $8
                   WHERE workspace_id = $1 AND id = $2 AND seq = $3 RETURNING journey_id, variant")
    .bind(ws.0)
    .bind(advance.enrollment)
    .bind(advance.seq)
    .bind(advance.state.as_str())
    .bind(advance.step.as_deref())
    .bind(advance.wake_at)
    .bind(advance.variant.as_deref())
    .bind(advance.at)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let journey: i64 = row.try_get(0).map_err(db_err)?;
    // The variant after the update: the one just assigned, or the one assigned earlier.
    let variant: Option<&str> = row.try_get(1).map_err(db_err)?;
    let log: Vec<Logged> = advance
        .log
        .iter()
        .map(|l| Logged { step: &l.step, outcome: &l.outcome, detail: l.detail.as_deref() })
        .collect();
    log_steps(tx, ws, journey, advance.enrollment, variant, &log, advance.at).await?;
    let placed = queue_in(tx, ws, &advance.messages, caps).await?;
    // A message with fallbacks: the channel that took it, on its step.
    let chosen: Vec<StepRecord> = advance
        .messages
        .iter()
        .zip(&placed)
        .filter(|(_, p)| matches!(p.queued, Queued::Queued(_)))
        .filter_map(|(m, p)| m.chosen(p.channel))
        .collect();
    let log: Vec<Logged> =
        chosen.iter().map(|l| Logged { step: &l.step, outcome: &l.outcome, detail: l.detail.as_deref() }).collect();
    log_steps(tx, ws, journey, advance.enrollment, variant, &log, advance.at).await?;
    Ok(Some(placed.into_iter().map(|p| p.queued).collect()))
}

#[async_trait::async_trait]
impl rekindle_store::Enrollments for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn enroll(&self, ws: WorkspaceId, new: &NewEnrollment) -> Result<Option<Enrollment>> {
        let mut tx = self.tx().await?;
        let entered = enroll_in(&mut tx, ws, new, None).await?;
        done(tx, entered).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn enrollment(&self, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>> {
        let row =
            sql_owned(format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE workspace_id = $1 AND id = $2"))
                .bind(ws.0)
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        row.as_ref().map(enrollment).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn advance(&self, ws: WorkspaceId, advance: &Advance, caps: &CapsConfig) -> Result<Option<Vec<Queued>>> {
        let mut tx = self.tx().await?;
        let Some(queued) = advance_in(&mut tx, ws, advance, caps).await? else {
            // Nothing was written; the transaction holds no locks worth keeping.
            tx.rollback().await.map_err(db_err)?;
            return Ok(None);
        };
        done(tx, Some(queued)).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn reserve_enrollment_ids(&self, n: usize) -> Result<Vec<i64>> {
        let rows = sql("SELECT nextval(pg_get_serial_sequence('enrollments', 'id')) FROM generate_series(1, $1)")
            .bind(n as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| r.try_get::<i64, _>(0)).collect::<Result<_, _>>().map_err(db_err)
    }

    /// One transaction an entry, as `enroll_many`: a node holds one person's lock at a time.
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn enter_walked(
        &self,
        ws: WorkspaceId,
        entries: &[WalkedEntry],
        caps: &CapsConfig,
    ) -> Result<Vec<Option<Vec<Queued>>>> {
        let mut out = Vec::with_capacity(entries.len());
        for w in entries {
            let mut tx = self.tx().await?;
            let walked = match enroll_in(&mut tx, ws, &w.entry, Some(w.id)).await? {
                Some(_) => advance_in(&mut tx, ws, &w.walk, caps).await?,
                None => None,
            };
            out.push(done(tx, walked).await?);
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn due_enrollments(&self, ws: WorkspaceId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Enrollment>> {
        // Ties by id, the order SQLite's index hands them out in.
        let rows = sql_owned(format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments
             WHERE workspace_id = $1 AND state = 'active' AND wake_at <= $2 ORDER BY wake_at, id LIMIT $3"
        ))
        .bind(ws.0)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(enrollment).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn open_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        of_person(&mut *self.conn().await?, ws, person, true).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn close_enrollment(
        &self,
        ws: WorkspaceId,
        id: i64,
        state: EnrollmentState,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.tx().await?;
        let converted = (state == EnrollmentState::Converted).then_some(at);
        // Only an open enrollment closes: of two closes racing, the row lock lets one through and
        // the other finds it closed.
        let closed =
            sql("UPDATE enrollments SET state = $3, converted_at = COALESCE($4, converted_at), wake_at = NULL,
                                 seq = seq + 1, updated_at = $5
                          WHERE workspace_id = $1 AND id = $2 AND state IN ('active', 'finished', 'held_out')
                          RETURNING journey_id, COALESCE(step, ''), variant")
            .bind(ws.0)
            .bind(id)
            .bind(state.as_str())
            .bind(converted)
            .bind(at)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if let Some(r) = closed {
            let journey: i64 = r.try_get(0).map_err(db_err)?;
            let step: &str = r.try_get(1).map_err(db_err)?;
            let variant: Option<&str> = r.try_get(2).map_err(db_err)?;
            let log = [Logged { step, outcome: state.as_str(), detail: None }];
            log_steps(&mut tx, ws, journey, id, variant, &log, at).await?;
        }
        done(tx, ()).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        of_person(&mut *self.conn().await?, ws, person, false).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_cursor(&self, ws: WorkspaceId) -> Result<i64> {
        crate::cursors::read(&self.pool, crate::cursors::Table::Journeys, ws).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_journey_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()> {
        crate::cursors::write(&self.pool, crate::cursors::Table::Journeys, ws, cursor).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn change_cursors(&self, ws: WorkspaceId) -> Result<ChangeCursors> {
        // Nothing written down yet: the last changes recorded so far.
        let row = sql("SELECT COALESCE((SELECT membership FROM journey_change_cursors WHERE workspace_id = $1),
                                       (SELECT COALESCE(MAX(id), 0) FROM segment_changes WHERE workspace_id = $1)),
                              COALESCE((SELECT stages FROM journey_change_cursors WHERE workspace_id = $1),
                                       (SELECT COALESCE(MAX(id), 0) FROM stage_changes WHERE workspace_id = $1))")
        .bind(ws.0)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(ChangeCursors { membership: row.try_get(0).map_err(db_err)?, stages: row.try_get(1).map_err(db_err)? })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_change_cursors(&self, ws: WorkspaceId, cursors: ChangeCursors) -> Result<()> {
        // Only forward: a node that read less cannot move it back.
        sql("INSERT INTO journey_change_cursors (workspace_id, membership, stages) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE
             SET membership = GREATEST(journey_change_cursors.membership, EXCLUDED.membership),
                 stages = GREATEST(journey_change_cursors.stages, EXCLUDED.stages)")
        .bind(ws.0)
        .bind(cursors.membership)
        .bind(cursors.stages)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
