//! Journeys, versions, enrollments and the readout (see `rekindle_store::JourneyStore`).

use chrono::{DateTime, Utc};
use rekindle_core::journey::{Definition, Reentry};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{
    Advance, Enrollment, EnrollmentState, Journey, JourneyStatus, JourneyVersion, NewEnrollment, ReadoutRow, Result,
    StoreError, VariantCounts,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::accounts::unique_violation;
use crate::codec::{ms, time};
use crate::db_err;
use crate::read::PERSON_AND_MERGED;

const JOURNEY_COLUMNS: &str = "id, name, status, draft, version, created_at, updated_at";

/// A journey row before its JSON and status are parsed.
type JourneyRow = (i64, String, String, String, Option<i32>, i64, i64);

fn journey_row(r: &rusqlite::Row) -> rusqlite::Result<JourneyRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

fn journey(row: JourneyRow) -> Result<Journey> {
    let (id, name, status, draft, version, created_at, updated_at) = row;
    Ok(Journey {
        id,
        name,
        status: JourneyStatus::parse(&status).ok_or_else(|| StoreError::backend(bad("journey status", &status)))?,
        draft: definition(&draft)?,
        version,
        created_at: time(created_at),
        updated_at: time(updated_at),
    })
}

pub(crate) fn definition(json: &str) -> Result<Definition> {
    serde_json::from_str(json).map_err(StoreError::backend)
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

pub(crate) fn bad(what: &str, value: &str) -> std::io::Error {
    std::io::Error::other(format!("unknown {what} {value:?} in the database"))
}

pub(crate) fn load_journey(c: &Connection, ws: WorkspaceId, id: i64) -> Result<Option<Journey>> {
    let row = c
        .cached_row(
            &format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = ?1 AND id = ?2"),
            params![ws.0, id],
            journey_row,
        )
        .optional()
        .map_err(db_err)?;
    row.map(journey).transpose()
}

pub(crate) fn journeys(c: &Connection, ws: WorkspaceId) -> Result<Vec<Journey>> {
    let mut stmt = c
        .prepare_cached(&format!("SELECT {JOURNEY_COLUMNS} FROM journeys WHERE workspace_id = ?1 ORDER BY name"))
        .map_err(db_err)?;
    let rows = stmt.query_map([ws.0], journey_row).map_err(db_err)?;
    rows.map(|r| journey(r.map_err(db_err)?)).collect()
}

pub(crate) fn create(
    c: &Connection,
    ws: WorkspaceId,
    name: &str,
    draft: &Definition,
    at: DateTime<Utc>,
) -> Result<Journey> {
    c.cached_execute(
        "INSERT INTO journeys (workspace_id, name, status, draft, version, created_at, updated_at)
         VALUES (?1, ?2, 'draft', ?3, NULL, ?4, ?4)",
        params![ws.0, name, to_json(draft)?, ms(at)],
    )
    .map_err(unique_violation(format!("journey {name}")))?;
    let id = c.last_insert_rowid();
    load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))
}

pub(crate) fn update(
    c: &Connection,
    ws: WorkspaceId,
    id: i64,
    name: Option<&str>,
    draft: Option<&Definition>,
    at: DateTime<Utc>,
) -> Result<Journey> {
    let draft = draft.map(to_json).transpose()?;
    let n = c
        .cached_execute(
            "UPDATE journeys SET name = COALESCE(?3, name), draft = COALESCE(?4, draft), updated_at = ?5
             WHERE workspace_id = ?1 AND id = ?2",
            params![ws.0, id, name, draft, ms(at)],
        )
        .map_err(unique_violation(format!("journey {}", name.unwrap_or_default())))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("journey {id}")));
    }
    load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))
}

pub(crate) fn publish(
    c: &Connection,
    ws: WorkspaceId,
    id: i64,
    by: Option<&str>,
    at: DateTime<Utc>,
) -> Result<JourneyVersion> {
    let j = load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))?;
    let version = j.version.unwrap_or(0) + 1;
    c.cached_execute(
        "INSERT INTO journey_versions (journey_id, version, definition, published_at, published_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, version, to_json(&j.draft)?, ms(at), by],
    )
    .map_err(db_err)?;
    c.cached_execute(
        "UPDATE journeys SET version = ?2, status = 'live', updated_at = ?3 WHERE id = ?1",
        params![id, version, ms(at)],
    )
    .map_err(db_err)?;
    Ok(JourneyVersion {
        journey: id,
        version,
        definition: j.draft,
        published_at: at,
        published_by: by.map(str::to_owned),
    })
}

pub(crate) fn set_status(
    c: &Connection,
    ws: WorkspaceId,
    id: i64,
    status: JourneyStatus,
    at: DateTime<Utc>,
) -> Result<Journey> {
    let n = c
        .cached_execute(
            "UPDATE journeys SET status = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2",
            params![ws.0, id, status.as_str(), ms(at)],
        )
        .map_err(db_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("journey {id}")));
    }
    load_journey(c, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("journey {id}")))
}

pub(crate) fn versions(c: &Connection, ws: WorkspaceId, id: i64, only: Option<i32>) -> Result<Vec<JourneyVersion>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT v.version, v.definition, v.published_at, v.published_by FROM journey_versions v
             JOIN journeys j ON j.id = v.journey_id
             WHERE j.workspace_id = ?1 AND v.journey_id = ?2 AND (?3 IS NULL OR v.version = ?3)
             ORDER BY v.version DESC",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, id, only], |r| {
            Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<String>>(3)?))
        })
        .map_err(db_err)?;
    rows.map(|r| {
        let (version, def, at, by) = r.map_err(db_err)?;
        Ok(JourneyVersion {
            journey: id,
            version,
            definition: definition(&def)?,
            published_at: time(at),
            published_by: by,
        })
    })
    .collect()
}

const ENROLLMENT_COLUMNS: &str = "id, journey_id, version, person_id, state, step, wake_at, variant, seq, entered_at, updated_at, converted_at, context";

fn enrollment_row(r: &rusqlite::Row) -> rusqlite::Result<Enrollment> {
    let state: String = r.get(4)?;
    Ok(Enrollment {
        id: r.get(0)?,
        journey: r.get(1)?,
        version: r.get(2)?,
        person: PersonId(r.get(3)?),
        state: EnrollmentState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(bad("state", &state)))
        })?,
        step: r.get(5)?,
        wake_at: r.get::<_, Option<i64>>(6)?.map(time),
        variant: r.get(7)?,
        seq: r.get(8)?,
        entered_at: time(r.get(9)?),
        updated_at: time(r.get(10)?),
        converted_at: r.get::<_, Option<i64>>(11)?.map(time),
        context: {
            let text: String = r.get(12)?;
            serde_json::from_str(&text)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Text, Box::new(e)))?
        },
    })
}

pub(crate) fn load_enrollment(c: &Connection, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>> {
    c.cached_row(
        &format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE workspace_id = ?1 AND id = ?2"),
        params![ws.0, id],
        enrollment_row,
    )
    .optional()
    .map_err(db_err)
}

pub(crate) fn enroll(c: &Connection, ws: WorkspaceId, e: &NewEnrollment) -> Result<Option<Enrollment>> {
    let seen: bool = c
        .cached_row(
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE journey_id = ?1 AND trigger_key = ?2)",
            params![e.journey, e.trigger_key],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    if seen {
        return Ok(None);
    }
    let blocking = match e.reentry {
        Reentry::Once => {
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE workspace_id = ?1 AND person_id = ?2 AND journey_id = ?3 AND ?4 IS NOT NULL)"
        }
        Reentry::After { .. } => {
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE workspace_id = ?1 AND person_id = ?2 AND journey_id = ?3 AND (entered_at > ?4 OR state = 'active'))"
        }
        Reentry::Always => {
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE workspace_id = ?1 AND person_id = ?2 AND journey_id = ?3 AND state = 'active' AND ?4 IS NOT NULL)"
        }
    };
    let since = match e.reentry {
        Reentry::After { days } => ms(e.at - chrono::Duration::days(i64::from(days))),
        _ => 0,
    };
    let blocked: bool =
        c.cached_row(blocking, params![ws.0, e.person.0, e.journey, since], |r| r.get(0)).map_err(db_err)?;
    if blocked {
        return Ok(None);
    }
    let first_step = c
        .cached_row(
            "SELECT definition FROM journey_versions WHERE journey_id = ?1 AND version = ?2",
            params![e.journey, e.version],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("journey {} version {}", e.journey, e.version)))?;
    let first = definition(&first_step)?.steps.first().map(|s| s.id.clone());
    let row = c
        .cached_row(
            &format!(
                "INSERT INTO enrollments (workspace_id, journey_id, version, person_id, trigger_key, state, step, wake_at,
                                          seq, entered_at, updated_at, context)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, 0, ?7, ?7, ?8) RETURNING {ENROLLMENT_COLUMNS}"
            ),
            params![ws.0, e.journey, e.version, e.person.0, e.trigger_key, first, ms(e.at), e.context.to_string()],
            enrollment_row,
        )
        .map_err(db_err)?;
    log_step(c, ws, row.journey, row.id, first.as_deref().unwrap_or(""), None, "entered", None, e.at)?;
    Ok(Some(row))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn log_step(
    c: &Connection,
    ws: WorkspaceId,
    journey: i64,
    enrollment: i64,
    step: &str,
    variant: Option<&str>,
    outcome: &str,
    detail: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO journey_steps (workspace_id, journey_id, enrollment_id, step, variant, outcome, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(db_err)?
    .execute(params![ws.0, journey, enrollment, step, variant, outcome, detail, ms(at)])
    .map_err(db_err)?;
    Ok(())
}

/// Move the enrollment to where the walk left it, if it is still where the walk began.
/// Returns the journey id, or `None` when another walk got there first.
pub(crate) fn move_enrollment(c: &Connection, ws: WorkspaceId, a: &Advance) -> Result<Option<i64>> {
    let journey = c
        .cached_row(
            "UPDATE enrollments SET state = ?4, step = ?5, wake_at = ?6, variant = COALESCE(?7, variant),
                    seq = seq + 1, updated_at = ?8
             WHERE workspace_id = ?1 AND id = ?2 AND seq = ?3 RETURNING journey_id",
            params![ws.0, a.enrollment, a.seq, a.state.as_str(), a.step, a.wake_at.map(ms), a.variant, ms(a.at)],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db_err)?;
    let Some(journey) = journey else { return Ok(None) };
    let variant: Option<String> =
        c.cached_row("SELECT variant FROM enrollments WHERE id = ?1", [a.enrollment], |r| r.get(0)).map_err(db_err)?;
    for l in &a.log {
        log_step(c, ws, journey, a.enrollment, &l.step, variant.as_deref(), &l.outcome, l.detail.as_deref(), a.at)?;
    }
    Ok(Some(journey))
}

pub(crate) fn due(c: &Connection, ws: WorkspaceId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Enrollment>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments
             WHERE workspace_id = ?1 AND state = 'active' AND wake_at <= ?2 ORDER BY wake_at LIMIT ?3"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, ms(now), limit], enrollment_row).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

/// A person's enrollments, with those entered under the ids of people since merged into them.
pub(crate) fn of_person(c: &Connection, ws: WorkspaceId, person: PersonId, open_only: bool) -> Result<Vec<Enrollment>> {
    let whose = format!("workspace_id = ?1 AND person_id IN {PERSON_AND_MERGED}");
    let sql = if open_only {
        format!(
            "SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE {whose}
             AND state IN ('active', 'finished', 'held_out') ORDER BY id"
        )
    } else {
        format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE {whose} ORDER BY id DESC")
    };
    let mut stmt = c.prepare_cached(&sql).map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, person.0], enrollment_row).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

pub(crate) fn close(c: &Connection, ws: WorkspaceId, id: i64, state: EnrollmentState, at: DateTime<Utc>) -> Result<()> {
    let converted = (state == EnrollmentState::Converted).then_some(ms(at));
    let closed = c
        .cached_row(
            "UPDATE enrollments SET state = ?3, converted_at = COALESCE(?4, converted_at), wake_at = NULL,
                    seq = seq + 1, updated_at = ?5
             WHERE workspace_id = ?1 AND id = ?2 AND state IN ('active', 'finished', 'held_out')
             RETURNING journey_id, COALESCE(step, ''), variant",
            params![ws.0, id, state.as_str(), converted, ms(at)],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)),
        )
        .optional()
        .map_err(db_err)?;
    if let Some((journey, step, variant)) = closed {
        log_step(c, ws, journey, id, &step, variant.as_deref(), state.as_str(), None, at)?;
    }
    Ok(())
}

pub(crate) fn step_counts(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT step, variant, outcome, COUNT(*) FROM journey_steps WHERE workspace_id = ?1 AND journey_id = ?2
             GROUP BY step, variant, outcome ORDER BY step, variant, outcome",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, journey], |r| {
            Ok(ReadoutRow { step: r.get(0)?, variant: r.get(1)?, outcome: r.get(2)?, count: r.get(3)? })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

pub(crate) fn message_counts(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Vec<ReadoutRow>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT COALESCE(step, ''), variant, CASE WHEN state = 'skipped' THEN 'skipped:' || COALESCE(error_code, '')
                    WHEN state = 'failed' THEN 'failed:' || COALESCE(error_kind, '') ELSE state END, COUNT(*)
             FROM outbox WHERE workspace_id = ?1 AND journey_id = ?2
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, journey], |r| {
            Ok(ReadoutRow { step: r.get(0)?, variant: r.get(1)?, outcome: r.get(2)?, count: r.get(3)? })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

pub(crate) fn conversions(c: &Connection, ws: WorkspaceId, journey: i64) -> Result<Vec<VariantCounts>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT variant, COUNT(*), COUNT(converted_at) FROM enrollments WHERE workspace_id = ?1 AND journey_id = ?2
             GROUP BY variant ORDER BY variant",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![ws.0, journey], |r| {
            Ok(VariantCounts { variant: r.get(0)?, entered: r.get(1)?, converted: r.get(2)? })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}
