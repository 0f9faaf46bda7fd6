//! People walking journeys: enrollments with their steps, and where the journey runner is in the
//! log and in the recorded changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rekindle_core::journey::Reentry;
use rekindle_core::outreach::CapsConfig;
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use rekindle_store::{
    Advance, ChangeCursors, Enrollment, EnrollmentState, Enrollments, NewEnrollment, Queued, Result, StoreError,
    WalkedEntry,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::change_feed::last_id;
use crate::codec::{ms, time};
use crate::enrollment_ids::EnrollmentIds;
use crate::journeys::{bad, versions};
use crate::outbox::queue_one;
use crate::people::PERSON_AND_MERGED;
use crate::{SqliteStore, db_err};

const ENROLLMENT_COLUMNS: &str = "id, journey_id, version, person_id, state, step, wake_at, variant, seq, entered_at, updated_at, converted_at, context";

fn enrollment_row(r: &rusqlite::Row) -> rusqlite::Result<Enrollment> {
    let state: String = r.get(4)?;
    Ok(Enrollment {
        id: r.get(0)?,
        journey: JourneyId(r.get(1)?),
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

fn load_enrollment(c: &Connection, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>> {
    c.cached_row(
        &format!("SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE workspace_id = ?1 AND id = ?2"),
        params![ws.0, id],
        enrollment_row,
    )
    .optional()
    .map_err(db_err)
}

/// Each journey version's first step, read once for the store's life: one order enters the
/// same person into many journeys, and a pass enters many people into the same few, and
/// reading and parsing the definition for each entry was a sixth of entering (issue 24); once
/// per transaction it was still 1 % of the process's CPU under `rekindle bench journeys`. A
/// published version never changes and is never deleted, so what was read stays true.
#[derive(Default)]
pub(crate) struct FirstSteps(parking_lot::Mutex<HashMap<(WorkspaceId, JourneyId, i32), Option<String>>>);

impl FirstSteps {
    fn of(&self, c: &Connection, ws: WorkspaceId, journey: JourneyId, version: i32) -> Result<Option<String>> {
        if let Some(first) = self.0.lock().get(&(ws, journey, version)) {
            return Ok(first.clone());
        }
        let stored = versions(c, ws, journey.0, Some(version))?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("journey {journey} version {version}")))?;
        let first = stored.definition.steps.first().map(|s| s.id.clone());
        self.0.lock().insert((ws, journey, version), first.clone());
        Ok(first)
    }
}

/// Enter a person inside the caller's transaction, under `id` if one was reserved for them,
/// else the next from `ids` (see `enrollment_ids.rs`).
fn enroll_one(
    c: &Connection,
    ids: &EnrollmentIds,
    firsts: &FirstSteps,
    ws: WorkspaceId,
    e: &NewEnrollment,
    id: Option<i64>,
) -> Result<Option<Enrollment>> {
    let seen: bool = c
        .cached_row(
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE journey_id = ?1 AND trigger_key = ?2)",
            params![e.journey.0, e.trigger_key],
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
        c.cached_row(blocking, params![ws.0, e.person.0, e.journey.0, since], |r| r.get(0)).map_err(db_err)?;
    if blocked || refused(c, ws, e)? {
        return Ok(None);
    }
    let first = firsts.of(c, ws, e.journey, e.version)?;
    let id = match id {
        Some(id) => id,
        None => ids.take(c, 1)?.start,
    };
    let row = c
        .cached_row(
            &format!(
                "INSERT INTO enrollments (id, workspace_id, journey_id, version, person_id, trigger_key, state, step,
                                          wake_at, seq, entered_at, updated_at, context)
                 VALUES (?9, ?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, 0, ?7, ?7, ?8) RETURNING {ENROLLMENT_COLUMNS}"
            ),
            params![
                ws.0,
                e.journey.0,
                e.version,
                e.person.0,
                e.trigger_key,
                first,
                ms(e.at),
                e.context.to_string(),
                id
            ],
            enrollment_row,
        )
        .map_err(db_err)?;
    log_step(c, ws, row.journey.0, row.id, first.as_deref().unwrap_or(""), None, "entered", None, e.at)?;
    Ok(Some(row))
}

/// Whether the journey's entry limits turn this person away (recorded for the readout). The
/// single writer makes the count and the insert after it one step.
fn refused(c: &Connection, ws: WorkspaceId, e: &NewEnrollment) -> Result<bool> {
    if e.limits.is_none() {
        return Ok(false);
    }
    // Counted only as far as the limit: a full journey needs no exact figure.
    let upto = |limit: Option<u32>| i64::from(limit.unwrap_or(0));
    let total: i64 = c
        .cached_row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM enrollments WHERE journey_id = ?1 LIMIT ?2)",
            params![e.journey.0, upto(e.limits.total)],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    let today: i64 = match &e.limits.day {
        Some(day) => c
            .cached_row(
                "SELECT COUNT(*) FROM (SELECT 1 FROM enrollments
                                       WHERE journey_id = ?1 AND entered_at >= ?2 AND entered_at < ?3 LIMIT ?4)",
                params![e.journey.0, ms(day.start), ms(day.end), upto(e.limits.per_day)],
                |r| r.get(0),
            )
            .map_err(db_err)?,
        None => 0,
    };
    let Some(refusal) = e.limits.refusal(today as u64, total as u64) else { return Ok(false) };
    c.cached_execute(
        "INSERT INTO journey_entry_refusals (journey_id, person_id, workspace_id, reason, times, at)
         VALUES (?1, ?2, ?3, ?4, 1, ?5)
         ON CONFLICT (journey_id, person_id) DO UPDATE SET reason = excluded.reason, times = times + 1, at = excluded.at",
        params![e.journey.0, e.person.0, ws.0, refusal.as_str(), ms(e.at)],
    )
    .map_err(db_err)?;
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
fn log_step(
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
fn move_enrollment(c: &Connection, ws: WorkspaceId, a: &Advance) -> Result<Option<i64>> {
    // RETURNING gives the row as updated: the variant kept or newly drawn.
    let moved = c
        .cached_row(
            "UPDATE enrollments SET state = ?4, step = ?5, wake_at = ?6, variant = COALESCE(?7, variant),
                    seq = seq + 1, updated_at = ?8
             WHERE workspace_id = ?1 AND id = ?2 AND seq = ?3 RETURNING journey_id, variant",
            params![ws.0, a.enrollment, a.seq, a.state.as_str(), a.step, a.wake_at.map(ms), a.variant, ms(a.at)],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    let Some((journey, variant)) = moved else { return Ok(None) };
    for l in &a.log {
        log_step(c, ws, journey, a.enrollment, &l.step, variant.as_deref(), &l.outcome, l.detail.as_deref(), a.at)?;
    }
    Ok(Some(journey))
}

fn due(c: &Connection, ws: WorkspaceId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Enrollment>> {
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
fn of_person(c: &Connection, ws: WorkspaceId, person: PersonId, open_only: bool) -> Result<Vec<Enrollment>> {
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

fn close(c: &Connection, ws: WorkspaceId, id: i64, state: EnrollmentState, at: DateTime<Utc>) -> Result<()> {
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

/// Move one enrollment and queue its messages, inside the caller's transaction.
fn advance_one(
    tx: &rusqlite::Transaction<'_>,
    ws: WorkspaceId,
    advance: &Advance,
    caps: &CapsConfig,
) -> Result<Option<Vec<Queued>>> {
    let Some(journey) = move_enrollment(tx, ws, advance)? else {
        return Ok(None);
    };
    let mut queued = Vec::with_capacity(advance.messages.len());
    for m in &advance.messages {
        let placed = queue_one(tx, ws, m, caps)?;
        // A message with fallbacks: the channel that took it, on its step.
        if let (Queued::Queued(_), Some(l)) = (&placed.queued, m.chosen(placed.channel)) {
            let variant = m.variant.as_deref();
            log_step(
                tx,
                ws,
                journey,
                advance.enrollment,
                &l.step,
                variant,
                &l.outcome,
                l.detail.as_deref(),
                advance.at,
            )?;
        }
        queued.push(placed.queued);
    }
    Ok(Some(queued))
}

impl SqliteStore {
    /// A write that took enrollment ids failed: the next are read from the file again.
    fn ids_checked<T>(&self, written: Result<T>) -> Result<T> {
        if written.is_err() {
            self.inner.enrollment_ids.forget();
        }
        written
    }
}

#[async_trait::async_trait]
impl Enrollments for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn enroll(&self, ws: WorkspaceId, new: &NewEnrollment) -> Result<Option<Enrollment>> {
        let (new, inner) = (new.clone(), self.inner.clone());
        let entered =
            self.write_runs(move |tx| enroll_one(tx, &inner.enrollment_ids, &inner.first_steps, ws, &new, None)).await;
        self.ids_checked(entered)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn enrollment(&self, ws: WorkspaceId, id: i64) -> Result<Option<Enrollment>> {
        self.read(move |c| load_enrollment(c, ws, id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn enroll_many(&self, ws: WorkspaceId, new: &[NewEnrollment]) -> Result<Vec<Option<Enrollment>>> {
        let (new, inner) = (new.to_vec(), self.inner.clone());
        let entered = self
            .write_runs(move |tx| {
                new.iter().map(|n| enroll_one(tx, &inner.enrollment_ids, &inner.first_steps, ws, n, None)).collect()
            })
            .await;
        self.ids_checked(entered)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn reserve_enrollment_ids(&self, n: usize) -> Result<Vec<i64>> {
        // Counted in memory once the largest is known: no trip to a reader for each event.
        if let Some(ids) = self.inner.enrollment_ids.take_counted(n) {
            return Ok(ids.collect());
        }
        let inner = self.inner.clone();
        self.read(move |c| Ok(inner.enrollment_ids.take(c, n)?.collect())).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn enter_walked(
        &self,
        ws: WorkspaceId,
        entries: &[WalkedEntry],
        caps: &CapsConfig,
    ) -> Result<Vec<Option<Vec<Queued>>>> {
        let (entries, caps, inner) = (entries.to_vec(), caps.clone(), self.inner.clone());
        let walked = self
            .write_runs(move |tx| {
                let mut out = Vec::with_capacity(entries.len());
                for w in &entries {
                    let entered = enroll_one(tx, &inner.enrollment_ids, &inner.first_steps, ws, &w.entry, Some(w.id))?;
                    out.push(match entered {
                        Some(_) => advance_one(tx, ws, &w.walk, &caps)?,
                        None => None,
                    });
                }
                Ok(out)
            })
            .await;
        self.ids_checked(walked)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn advance_many(
        &self,
        ws: WorkspaceId,
        advances: &[Advance],
        caps: &CapsConfig,
    ) -> Result<Vec<Option<Vec<Queued>>>> {
        let (advances, caps) = (advances.to_vec(), caps.clone());
        self.write_runs(move |tx| advances.iter().map(|a| advance_one(tx, ws, a, &caps)).collect()).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn advance(&self, ws: WorkspaceId, advance: &Advance, caps: &CapsConfig) -> Result<Option<Vec<Queued>>> {
        let (advance, caps) = (advance.clone(), caps.clone());
        self.write_runs(move |tx| advance_one(tx, ws, &advance, &caps)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn due_enrollments(&self, ws: WorkspaceId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Enrollment>> {
        self.read(move |c| due(c, ws, now, limit)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn open_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        self.read(move |c| of_person(c, ws, person, true)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn close_enrollment(
        &self,
        ws: WorkspaceId,
        id: i64,
        state: EnrollmentState,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.write_runs(move |tx| close(tx, ws, id, state, at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_enrollments(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Enrollment>> {
        self.read(move |c| of_person(c, ws, person, false)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_cursor(&self, ws: WorkspaceId) -> Result<i64> {
        self.read(move |c| crate::cursors::read(c, "journey_cursors", ws)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_journey_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()> {
        self.write_runs(move |tx| crate::cursors::write(tx, "journey_cursors", ws, cursor)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn change_cursors(&self, ws: WorkspaceId) -> Result<ChangeCursors> {
        self.read(move |c| {
            let stored = c
                .cached_row(
                    "SELECT membership, stages FROM journey_change_cursors WHERE workspace_id = ?1",
                    [ws.0],
                    |r| Ok(ChangeCursors { membership: r.get(0)?, stages: r.get(1)? }),
                )
                .optional()
                .map_err(db_err)?;
            match stored {
                Some(cursors) => Ok(cursors),
                None => Ok(ChangeCursors {
                    membership: last_id(c, ws, "segment_changes")?,
                    stages: last_id(c, ws, "stage_changes")?,
                }),
            }
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_change_cursors(&self, ws: WorkspaceId, cursors: ChangeCursors) -> Result<()> {
        self.write_runs(move |tx| {
            tx.cached_execute(
                "INSERT INTO journey_change_cursors (workspace_id, membership, stages) VALUES (?1, ?2, ?3)
                 ON CONFLICT (workspace_id) DO UPDATE
                 SET membership = MAX(membership, excluded.membership), stages = MAX(stages, excluded.stages)",
                params![ws.0, cursors.membership, cursors.stages],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use rekindle_core::journey::Definition;
    use rekindle_store::{Journeys, Workspaces};

    use super::*;

    /// A published version's first step is read from the store once, then from memory: the
    /// stored definition spoiled afterwards is not read again by the store's steps, while
    /// steps made afresh do read it.
    #[tokio::test]
    async fn a_versions_first_step_is_read_once_for_the_stores_life() {
        let (store, _dir) = crate::temp_store().await;
        let ws = store.workspace_by_slug(rekindle_store::DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
        let definition: Definition = serde_json::from_value(serde_json::json!({
            "trigger": {"type": "event", "event": "Order Completed"},
            "steps": [{"id": "hello", "type": "send", "channel": "sms", "template": "t"}],
        }))
        .unwrap();
        let at = Utc::now();
        let j = store.create_journey(ws, "复购提醒", &definition, at).await.unwrap();
        store.publish_journey(ws, j.id, None, at).await.unwrap();
        let inner = store.inner.clone();
        let first = move |fresh: bool| {
            let inner = inner.clone();
            move |tx: &rusqlite::Transaction<'_>| match fresh {
                true => FirstSteps::default().of(tx, ws, j.id, 1),
                false => inner.first_steps.of(tx, ws, j.id, 1),
            }
        };
        assert_eq!(store.write_runs(first(false)).await.unwrap().as_deref(), Some("hello"));
        store
            .write(|tx| tx.execute("UPDATE journey_versions SET definition = '{}'", []).map_err(db_err))
            .await
            .unwrap();
        assert!(store.write_runs(first(true)).await.is_err(), "the spoiled definition is read afresh");
        assert_eq!(store.write_runs(first(false)).await.unwrap().as_deref(), Some("hello"));
    }
}
