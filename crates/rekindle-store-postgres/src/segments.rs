//! Segments, their versions and membership, with its recorded changes and sizes. Same answers
//! as SQLite's segments.rs; lists are written by column arrays, one statement each.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rekindle_core::ids::Uuid;
use rekindle_core::{PersonId, SegmentId, WorkspaceId};
use rekindle_store::{
    MembershipChange, NewSegment, Result, Segment, SegmentEdit, SegmentKind, SegmentMember, SegmentSize,
    SegmentVersion, StoreError,
};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnection, PgRow};

use crate::accounts::unique_violation;
use crate::change_feed::changes_after;
use crate::{PostgresStore, db_err, sql};

fn segment(r: &PgRow) -> Result<Segment, Error> {
    let kind: String = r.try_get(4)?;
    Ok(Segment {
        id: SegmentId(r.try_get(0)?),
        name: r.try_get(1)?,
        description: r.try_get(2)?,
        rule: r.try_get(3)?,
        kind: SegmentKind::parse(&kind).unwrap_or(SegmentKind::Custom),
        version: r.try_get(5)?,
        created_at: r.try_get(6)?,
        updated_at: r.try_get(7)?,
    })
}

/// A membership change from the row's columns `segment_id, person_id, entered, at`, from
/// `first` on.
fn membership_change(r: &PgRow, first: usize) -> Result<MembershipChange, Error> {
    Ok(MembershipChange {
        segment: SegmentId(r.try_get(first)?),
        person: PersonId(r.try_get(first + 1)?),
        entered: r.try_get(first + 2)?,
        at: r.try_get(first + 3)?,
    })
}

async fn add_version(
    c: &mut PgConnection,
    id: i64,
    version: i32,
    rule: &str,
    at: DateTime<Utc>,
    by: Option<&str>,
) -> Result<(), Error> {
    sql("INSERT INTO segment_versions (segment_id, version, rule, created_at, created_by) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(version)
        .bind(rule)
        .bind(at)
        .bind(by)
        .execute(&mut *c)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl rekindle_store::Segments for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn create_segment(&self, ws: WorkspaceId, s: &NewSegment) -> Result<Segment> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let row =
            sql("INSERT INTO segments (workspace_id, name, description, rule, kind, version, created_at, updated_at)
                       VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
                       RETURNING id, name, description, rule, kind, version, created_at, updated_at")
            .bind(ws.0)
            .bind(&s.name)
            .bind(&s.description)
            .bind(&s.rule)
            .bind(s.kind.as_str())
            .bind(s.at)
            .fetch_one(&mut *tx)
            .await
            .map_err(unique_violation(format!("segment {}", s.name)))?;
        let created = segment(&row).map_err(db_err)?;
        add_version(&mut tx, created.id.0, 1, &s.rule, s.at, s.by.as_deref()).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segments(&self, ws: WorkspaceId) -> Result<Vec<Segment>> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        let rows = sql("SELECT id, name, description, rule, kind, version, created_at, updated_at FROM segments
                        WHERE workspace_id = $1 ORDER BY name COLLATE \"C\"")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(segment).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment(&self, ws: WorkspaceId, id: SegmentId) -> Result<Option<Segment>> {
        let id = id.0;
        let row = sql("SELECT id, name, description, rule, kind, version, created_at, updated_at FROM segments
                       WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(segment).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment_versions(&self, ws: WorkspaceId, id: SegmentId) -> Result<Vec<SegmentVersion>> {
        let id = id.0;
        let rows = sql("SELECT v.version, v.rule, v.created_at, v.created_by FROM segment_versions v
                        JOIN segments s ON s.id = v.segment_id
                        WHERE s.workspace_id = $1 AND v.segment_id = $2 ORDER BY v.version DESC")
        .bind(ws.0)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(SegmentVersion {
                    version: r.try_get(0)?,
                    rule: r.try_get(1)?,
                    created_at: r.try_get(2)?,
                    created_by: r.try_get(3)?,
                })
            })
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn update_segment(&self, ws: WorkspaceId, id: SegmentId, edit: &SegmentEdit) -> Result<Segment> {
        let id = id.0;
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // Locked, so two edits on different nodes cannot both add the same next version.
        let row = sql("SELECT id, name, description, rule, kind, version, created_at, updated_at FROM segments
                       WHERE workspace_id = $1 AND id = $2 FOR UPDATE")
        .bind(ws.0)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let current = row.as_ref().map(segment).transpose().map_err(db_err)?;
        let current = current.ok_or_else(|| StoreError::NotFound(format!("segment {id}")))?;
        let name = edit.name.as_deref().unwrap_or(&current.name);
        let description = edit.description.as_deref().unwrap_or(&current.description);
        let (rule, version) = match edit.rule.as_deref() {
            Some(rule) if rule != current.rule => {
                add_version(&mut tx, id, current.version + 1, rule, edit.at, edit.by.as_deref())
                    .await
                    .map_err(db_err)?;
                (rule, current.version + 1)
            }
            _ => (current.rule.as_str(), current.version),
        };
        let row = sql("UPDATE segments SET name = $3, description = $4, rule = $5, version = $6, updated_at = $7
                       WHERE workspace_id = $1 AND id = $2
                       RETURNING id, name, description, rule, kind, version, created_at, updated_at")
        .bind(ws.0)
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(rule)
        .bind(version)
        .bind(edit.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_violation(format!("segment {name}")))?;
        let updated = segment(&row).map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(updated)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_segment(&self, ws: WorkspaceId, id: SegmentId) -> Result<()> {
        let id = id.0;
        // Versions, members and sizes go by cascade; recorded changes stay.
        let done = sql("DELETE FROM segments WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound(format!("segment {id}"))) } else { Ok(()) }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment_members(
        &self,
        ws: WorkspaceId,
        id: SegmentId,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<SegmentMember>> {
        let id = id.0;
        let rows = sql("SELECT m.person_id, m.since FROM segment_members m JOIN segments s ON s.id = m.segment_id
                        WHERE s.workspace_id = $1 AND m.segment_id = $2 AND ($3::uuid IS NULL OR m.person_id > $3)
                        ORDER BY m.person_id LIMIT $4")
        .bind(ws.0)
        .bind(id)
        .bind(after.map(|p| p.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(SegmentMember { person: PersonId(r.try_get(0)?), since: r.try_get(1)? }))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn all_segment_members(&self, ws: WorkspaceId) -> Result<Vec<(SegmentId, PersonId)>> {
        let rows = sql("SELECT m.segment_id, m.person_id FROM segment_members m JOIN segments s ON s.id = m.segment_id
                        WHERE s.workspace_id = $1 ORDER BY m.segment_id, m.person_id")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((SegmentId(r.try_get(0)?), PersonId(r.try_get(1)?))))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_membership(
        &self,
        ws: WorkspaceId,
        changes: &[MembershipChange],
        sizes: &[SegmentSize],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        self.seat.fence(&mut tx, ws).await?;
        membership_in(&mut tx, ws, changes, sizes).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment_changes(&self, ws: WorkspaceId, id: SegmentId, limit: u32) -> Result<Vec<MembershipChange>> {
        let id = id.0;
        let rows = sql("SELECT segment_id, person_id, entered, at FROM segment_changes
                        WHERE segment_id = $2 AND workspace_id = $1 ORDER BY id DESC LIMIT $3")
        .bind(ws.0)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| membership_change(r, 0)).collect::<Result<_, Error>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment_sizes(&self, ws: WorkspaceId, id: SegmentId, since: DateTime<Utc>) -> Result<Vec<SegmentSize>> {
        let id = id.0;
        let rows = sql("SELECT z.at, z.size FROM segment_sizes z JOIN segments s ON s.id = z.segment_id
                        WHERE s.workspace_id = $1 AND z.segment_id = $2 AND z.at >= $3 ORDER BY z.at")
        .bind(ws.0)
        .bind(id)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(SegmentSize {
                    segment: SegmentId(id),
                    at: r.try_get(0)?,
                    size: r.try_get::<i64, _>(1)?.max(0) as u64,
                })
            })
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn membership_changes_after(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, MembershipChange)>> {
        changes_after(
            &self.pool,
            "SELECT id, segment_id, person_id, entered, at FROM segment_changes",
            ws,
            after,
            limit,
            membership_change,
        )
        .await
    }
}

/// Membership changes and sizes, inside the caller's transaction. Entries and sizes for
/// segments not in the workspace are ignored.
async fn membership_in(
    c: &mut PgConnection,
    ws: WorkspaceId,
    changes: &[MembershipChange],
    sizes: &[SegmentSize],
) -> Result<(), Error> {
    if !changes.is_empty() {
        // Applied in turn, the last change of each (segment, person) decides; one statement
        // may touch a row only once. Sorted, so concurrent writers lock rows in one order.
        let mut last: BTreeMap<(i64, Uuid), &MembershipChange> = BTreeMap::new();
        for change in changes {
            last.insert((change.segment.0, change.person.0), change);
        }
        let (mut gone_segments, mut gone_people) = (Vec::new(), Vec::new());
        let (mut in_segments, mut in_people, mut in_since) = (Vec::new(), Vec::new(), Vec::new());
        for ((segment, person), change) in &last {
            if change.entered {
                in_segments.push(*segment);
                in_people.push(*person);
                in_since.push(change.at);
            } else {
                gone_segments.push(*segment);
                gone_people.push(*person);
            }
        }
        if !gone_segments.is_empty() {
            sql("DELETE FROM segment_members m
                 USING UNNEST($2::bigint[], $3::uuid[]) AS t(segment_id, person_id), segments s
                 WHERE m.segment_id = t.segment_id AND m.person_id = t.person_id
                   AND s.id = t.segment_id AND s.workspace_id = $1")
            .bind(ws.0)
            .bind(gone_segments)
            .bind(gone_people)
            .execute(&mut *c)
            .await?;
        }
        if !in_segments.is_empty() {
            // Entering again restarts `since`, as SQLite's INSERT OR REPLACE does.
            sql("INSERT INTO segment_members (segment_id, person_id, since)
                 SELECT t.segment_id, t.person_id, t.since
                 FROM UNNEST($2::bigint[], $3::uuid[], $4::timestamptz[]) AS t(segment_id, person_id, since)
                 WHERE t.segment_id IN (SELECT id FROM segments WHERE workspace_id = $1)
                 ON CONFLICT (segment_id, person_id) DO UPDATE SET since = EXCLUDED.since")
            .bind(ws.0)
            .bind(in_segments)
            .bind(in_people)
            .bind(in_since)
            .execute(&mut *c)
            .await?;
        }
        // `ORDER BY n`: ids follow the order given, so newest-first reads them back in reverse.
        sql("INSERT INTO segment_changes (workspace_id, segment_id, person_id, entered, at)
             SELECT $1, t.segment_id, t.person_id, t.entered, t.at
             FROM UNNEST($2::bigint[], $3::uuid[], $4::boolean[], $5::timestamptz[])
                  WITH ORDINALITY AS t(segment_id, person_id, entered, at, n)
             WHERE t.segment_id IN (SELECT id FROM segments WHERE workspace_id = $1)
             ORDER BY n")
        .bind(ws.0)
        .bind(changes.iter().map(|x| x.segment.0).collect::<Vec<_>>())
        .bind(changes.iter().map(|x| x.person.0).collect::<Vec<_>>())
        .bind(changes.iter().map(|x| x.entered).collect::<Vec<_>>())
        .bind(changes.iter().map(|x| x.at).collect::<Vec<_>>())
        .execute(&mut *c)
        .await?;
    }
    if !sizes.is_empty() {
        // The last size given for a (segment, time) wins, as replacing in turn would.
        let last: BTreeMap<(i64, DateTime<Utc>), u64> = sizes.iter().map(|z| ((z.segment.0, z.at), z.size)).collect();
        sql("INSERT INTO segment_sizes (segment_id, at, size)
             SELECT t.segment_id, t.at, t.size
             FROM UNNEST($2::bigint[], $3::timestamptz[], $4::bigint[]) AS t(segment_id, at, size)
             WHERE t.segment_id IN (SELECT id FROM segments WHERE workspace_id = $1)
             ON CONFLICT (segment_id, at) DO UPDATE SET size = EXCLUDED.size")
        .bind(ws.0)
        .bind(last.keys().map(|(segment, _)| *segment).collect::<Vec<_>>())
        .bind(last.keys().map(|(_, at)| *at).collect::<Vec<_>>())
        .bind(last.values().map(|size| i64::try_from(*size).unwrap_or(i64::MAX)).collect::<Vec<_>>())
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}
