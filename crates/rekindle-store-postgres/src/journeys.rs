//! Journeys, versions, enrollments and the readout (see `rekindle_store::JourneyStore`). Same
//! answers as SQLite's journeys.rs; what differs is that other nodes write beside us, so
//! publishing row-locks its journey and enrolling locks (journey, person) first.

use chrono::{DateTime, Utc};
use rekindle_core::journey::{Definition, Reentry};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{
    Advance, Enrollment, EnrollmentState, Journey, JourneyStatus, JourneyVersion, NewEnrollment, ReadoutRow, Result,
    StoreError, VariantCounts,
};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::{PgConnection, PgRow};

use crate::accounts::unique_violation;
use crate::journey_lock::{self, Key};
use crate::read::PERSON_AND_MERGED;
use crate::{db_err, sql, sql_owned};

const JOURNEY_COLUMNS: &str = "id, name, status, draft, version, created_at, updated_at";

/// A stored name this build does not know: the database holds something it did not write.
pub(crate) fn unknown(what: &str, value: &str) -> Error {
    Error::Decode(format!("unknown {what} {value:?} in the database").into())
}

fn journey(r: &PgRow) -> Result<Journey, Error> {
    let status: &str = r.try_get(2)?;
    let Json(draft) = r.try_get::<Json<Definition>, _>(3)?;
    Ok(Journey {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        status: JourneyStatus::parse(status).ok_or_else(|| unknown("journey status", status))?,
        draft,
        version: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("journey {id}"))
}

/// `lock`: hold the row until the transaction ends (`FOR UPDATE`), for a read that decides a write.
async fn load_journey_in(c: &mut PgConnection, ws: WorkspaceId, id: i64, lock: bool) -> Result<Option<Journey>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row = sql_owned(format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = $1 AND id = $2{lock}"))
        .bind(ws.0)
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(journey).transpose().map_err(db_err)
}

pub(crate) async fn load_journey(c: &mut PgConnection, ws: WorkspaceId, id: i64) -> Result<Option<Journey>> {
    load_journey_in(c, ws, id, false).await
}

pub(crate) async fn journeys(c: &mut PgConnection, ws: WorkspaceId) -> Result<Vec<Journey>> {
    // Byte order, as SQLite sorts, whatever the database's collation.
    let rows = sql_owned(format!(
        "SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = $1 ORDER BY name COLLATE \"C\""
    ))
    .bind(ws.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(journey).collect::<Result<_, _>>().map_err(db_err)
}

pub(crate) async fn create(
    c: &mut PgConnection,
    ws: WorkspaceId,
    name: &str,
    draft: &Definition,
    at: DateTime<Utc>,
) -> Result<Journey> {
    let row = sql_owned(format!(
        "INSERT INTO journeys (workspace_id, name, status, draft, version, created_at, updated_at)
         VALUES ($1, $2, 'draft', $3, NULL, $4, $4) RETURNING {JOURNEY_COLUMNS}"
    ))
    .bind(ws.0)
    .bind(name)
    .bind(Json(draft))
    .bind(at)
    .fetch_one(&mut *c)
    .await
    .map_err(unique_violation(format!("journey {name}")))?;
    journey(&row).map_err(db_err)
}

pub(crate) async fn update(
    c: &mut PgConnection,
    ws: WorkspaceId,
    id: i64,
    name: Option<&str>,
    draft: Option<&Definition>,
    at: DateTime<Utc>,
) -> Result<Journey> {
    // A `None` keeps the column as it is.
    let row = sql_owned(format!(
        "UPDATE journeys SET name = COALESCE($3, name), draft = COALESCE($4, draft), updated_at = $5
         WHERE workspace_id = $1 AND id = $2 RETURNING {JOURNEY_COLUMNS}"
    ))
    .bind(ws.0)
    .bind(id)
    .bind(name)
    .bind(draft.map(Json))
    .bind(at)
    .fetch_optional(&mut *c)
    .await
    .map_err(unique_violation(format!("journey {}", name.unwrap_or_default())))?;
    journey(&row.ok_or_else(|| not_found(id))?).map_err(db_err)
}

pub(crate) async fn publish(
    c: &mut PgConnection,
    ws: WorkspaceId,
    id: i64,
    by: Option<&str>,
    at: DateTime<Utc>,
) -> Result<JourneyVersion> {
    // Locked, so two nodes publishing at once number their versions one after the other.
    let j = load_journey_in(c, ws, id, true).await?.ok_or_else(|| not_found(id))?;
    let version = j.version.unwrap_or(0) + 1;
    sql("INSERT INTO journey_versions (journey_id, version, definition, published_at, published_by)
         VALUES ($1, $2, $3, $4, $5)")
    .bind(id)
    .bind(version)
    .bind(Json(&j.draft))
    .bind(at)
    .bind(by)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    sql("UPDATE journeys SET version = $2, status = 'live', updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(version)
        .bind(at)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(JourneyVersion {
        journey: id,
        version,
        definition: j.draft,
        published_at: at,
        published_by: by.map(str::to_owned),
    })
}

pub(crate) async fn set_status(
    c: &mut PgConnection,
    ws: WorkspaceId,
    id: i64,
    status: JourneyStatus,
    at: DateTime<Utc>,
) -> Result<Journey> {
    let row = sql_owned(format!(
        "UPDATE journeys SET status = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2
         RETURNING {JOURNEY_COLUMNS}"
    ))
    .bind(ws.0)
    .bind(id)
    .bind(status.as_str())
    .bind(at)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    journey(&row.ok_or_else(|| not_found(id))?).map_err(db_err)
}

/// A journey's versions, newest first; `only` one of them.
pub(crate) async fn versions(
    c: &mut PgConnection,
    ws: WorkspaceId,
    id: i64,
    only: Option<i32>,
) -> Result<Vec<JourneyVersion>> {
    let rows = sql("SELECT v.version, v.definition, v.published_at, v.published_by FROM journey_versions v
                    JOIN journeys j ON j.id = v.journey_id
                    WHERE j.workspace_id = $1 AND v.journey_id = $2 AND ($3::int IS NULL OR v.version = $3)
                    ORDER BY v.version DESC")
    .bind(ws.0)
    .bind(id)
    .bind(only)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let Json(definition) = r.try_get::<Json<Definition>, _>(1)?;
            Ok(JourneyVersion {
                journey: id,
                version: r.try_get(0)?,
                definition,
                published_at: r.try_get(2)?,
                published_by: r.try_get(3)?,
            })
        })
        .collect::<Result<_, Error>>()
        .map_err(db_err)
}

const ENROLLMENT_COLUMNS: &str = "id, journey_id, version, person_id, state, step, wake_at, variant, seq, entered_at,
    updated_at, converted_at, context";

fn enrollment(r: &PgRow) -> Result<Enrollment, Error> {
    let state: &str = r.try_get(4)?;
    Ok(Enrollment {
        id: r.try_get(0)?,
        journey: r.try_get(1)?,
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

pub(crate) async fn load_enrollment(c: &mut PgConnection, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>> {
    let row = sql_owned(format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE workspace_id = $1 AND id = $2"))
        .bind(ws.0)
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(enrollment).transpose().map_err(db_err)
}

pub(crate) async fn enroll(c: &mut PgConnection, ws: WorkspaceId, e: &NewEnrollment) -> Result<Option<Enrollment>> {
    // Another node enrolling this person in this journey waits here until we commit, then sees
    // our enrollment in its re-entry check: the policy holds across nodes.
    journey_lock::lock(c, &[Key::enrollment(e.journey, e.person)]).await.map_err(db_err)?;
    let seen: bool = sql("SELECT EXISTS (SELECT 1 FROM enrollments WHERE journey_id = $1 AND trigger_key = $2)")
        .bind(e.journey)
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
    let mut blocking = sql(blocking).bind(ws.0).bind(e.person.0).bind(e.journey);
    if let Some(since) = since {
        blocking = blocking.bind(since);
    }
    let blocked: bool = blocking.fetch_one(&mut *c).await.and_then(|r| r.try_get(0)).map_err(db_err)?;
    if blocked {
        return Ok(None);
    }
    let first = sql("SELECT definition FROM journey_versions WHERE journey_id = $1 AND version = $2")
        .bind(e.journey)
        .bind(e.version)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("journey {} version {}", e.journey, e.version)))?;
    let Json(definition) = first.try_get::<Json<Definition>, _>(0).map_err(db_err)?;
    let first = definition.steps.first().map(|s| s.id.clone());
    // A node that took the same trigger for someone else (not under our lock) wins the unique
    // key: nothing is inserted and the trigger counts as seen, as the check above would say.
    let row = sql_owned(format!(
        "INSERT INTO enrollments (workspace_id, journey_id, version, person_id, trigger_key, state, step, wake_at,
                                  seq, entered_at, updated_at, context)
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, 0, $7, $7, $8)
         ON CONFLICT (journey_id, trigger_key) DO NOTHING
         RETURNING {ENROLLMENT_COLUMNS}"
    ))
    .bind(ws.0)
    .bind(e.journey)
    .bind(e.version)
    .bind(e.person.0)
    .bind(&e.trigger_key)
    .bind(first.as_deref())
    .bind(e.at)
    .bind(Json(&e.context))
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let entered = enrollment(&row).map_err(db_err)?;
    let log = [Logged { step: first.as_deref().unwrap_or(""), outcome: "entered", detail: None }];
    log_steps(c, ws, entered.journey, entered.id, None, &log, e.at).await?;
    Ok(Some(entered))
}

/// One line of the readout's history.
pub(crate) struct Logged<'a> {
    pub step: &'a str,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

pub(crate) async fn log_steps(
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

/// Move the enrollment to where the walk left it, if it is still where the walk began.
/// Returns the journey id, or `None` when another walk got there first (nothing written).
pub(crate) async fn move_enrollment(c: &mut PgConnection, ws: WorkspaceId, a: &Advance) -> Result<Option<i64>> {
    // Optimistic on `seq`: a walk racing ours on another node waits for our row lock, then
    // finds `seq` moved on and matches nothing.
    let row = sql("UPDATE enrollments SET state = $4, step = $5, wake_at = $6, variant = COALESCE($7, variant),
                          seq = seq + 1, updated_at = $8
                   WHERE workspace_id = $1 AND id = $2 AND seq = $3 RETURNING journey_id, variant")
    .bind(ws.0)
    .bind(a.enrollment)
    .bind(a.seq)
    .bind(a.state.as_str())
    .bind(a.step.as_deref())
    .bind(a.wake_at)
    .bind(a.variant.as_deref())
    .bind(a.at)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let journey: i64 = row.try_get(0).map_err(db_err)?;
    // The variant after the update: the one just assigned, or the one assigned earlier.
    let variant: Option<&str> = row.try_get(1).map_err(db_err)?;
    let log: Vec<Logged> =
        a.log.iter().map(|l| Logged { step: &l.step, outcome: &l.outcome, detail: l.detail.as_deref() }).collect();
    log_steps(c, ws, journey, a.enrollment, variant, &log, a.at).await?;
    Ok(Some(journey))
}

pub(crate) async fn due(
    c: &mut PgConnection,
    ws: WorkspaceId,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Enrollment>> {
    // Ties by id, the order SQLite's index hands them out in.
    let rows = sql_owned(format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM enrollments
         WHERE workspace_id = $1 AND state = 'active' AND wake_at <= $2 ORDER BY wake_at, id LIMIT $3"
    ))
    .bind(ws.0)
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(enrollment).collect::<Result<_, _>>().map_err(db_err)
}

pub(crate) async fn of_person(
    c: &mut PgConnection,
    ws: WorkspaceId,
    person: PersonId,
    open_only: bool,
) -> Result<Vec<Enrollment>> {
    // With those entered under the ids of people since merged into this one.
    let whose = format!("workspace_id = $1 AND person_id IN {PERSON_AND_MERGED}");
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

pub(crate) async fn close(
    c: &mut PgConnection,
    ws: WorkspaceId,
    id: i64,
    state: EnrollmentState,
    at: DateTime<Utc>,
) -> Result<()> {
    let converted = (state == EnrollmentState::Converted).then_some(at);
    // Only an open enrollment closes: of two closes racing, the row lock lets one through and
    // the other finds it closed.
    let closed = sql("UPDATE enrollments SET state = $3, converted_at = COALESCE($4, converted_at), wake_at = NULL,
                             seq = seq + 1, updated_at = $5
                      WHERE workspace_id = $1 AND id = $2 AND state IN ('active', 'finished', 'held_out')
                      RETURNING journey_id, COALESCE(step, ''), variant")
    .bind(ws.0)
    .bind(id)
    .bind(state.as_str())
    .bind(converted)
    .bind(at)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    if let Some(r) = closed {
        let journey: i64 = r.try_get(0).map_err(db_err)?;
        let step: &str = r.try_get(1).map_err(db_err)?;
        let variant: Option<&str> = r.try_get(2).map_err(db_err)?;
        let log = [Logged { step, outcome: state.as_str(), detail: None }];
        log_steps(c, ws, journey, id, variant, &log, at).await?;
    }
    Ok(())
}

fn readout_row(r: &PgRow) -> Result<ReadoutRow, Error> {
    Ok(ReadoutRow { step: r.try_get(0)?, variant: r.try_get(1)?, outcome: r.try_get(2)?, count: r.try_get(3)? })
}

// Readouts sort as SQLite does: bytes, and no variant before any variant.

pub(crate) async fn step_counts(c: &mut PgConnection, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
    let rows =
        sql("SELECT step, variant, outcome, COUNT(*) FROM journey_steps WHERE workspace_id = $1 AND journey_id = $2
                    GROUP BY step, variant, outcome
                    ORDER BY step COLLATE \"C\", variant COLLATE \"C\" NULLS FIRST, outcome COLLATE \"C\"")
        .bind(ws.0)
        .bind(journey)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(readout_row).collect::<Result<_, _>>().map_err(db_err)
}

pub(crate) async fn message_counts(c: &mut PgConnection, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
    let rows = sql("SELECT step, variant, outcome, COUNT(*) FROM (
                        SELECT COALESCE(step, '') AS step, variant,
                               CASE WHEN state = 'skipped' THEN 'skipped:' || COALESCE(error_code, '')
                                    WHEN state = 'failed' THEN 'failed:' || COALESCE(error_kind, '')
                                    ELSE state END AS outcome
                        FROM outbox WHERE workspace_id = $1 AND journey_id = $2
                    ) AS m
                    GROUP BY step, variant, outcome
                    ORDER BY step COLLATE \"C\", variant COLLATE \"C\" NULLS FIRST, outcome COLLATE \"C\"")
    .bind(ws.0)
    .bind(journey)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(readout_row).collect::<Result<_, _>>().map_err(db_err)
}

pub(crate) async fn conversions(c: &mut PgConnection, ws: WorkspaceId, journey: i64) -> Result<Vec<VariantCounts>> {
    let rows = sql("SELECT variant, COUNT(*), COUNT(converted_at) FROM enrollments
                    WHERE workspace_id = $1 AND journey_id = $2
                    GROUP BY variant ORDER BY variant COLLATE \"C\" NULLS FIRST")
    .bind(ws.0)
    .bind(journey)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| Ok(VariantCounts { variant: r.try_get(0)?, entered: r.try_get(1)?, converted: r.try_get(2)? }))
        .collect::<Result<_, Error>>()
        .map_err(db_err)
}
