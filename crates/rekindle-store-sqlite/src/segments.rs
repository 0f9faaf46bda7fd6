//! Segments, their versions and membership, and the recorded changes of membership.

use chrono::{DateTime, Utc};
use rekindle_core::{PersonId, SegmentId, WorkspaceId};
use rekindle_store::{
    MembershipChange, NewSegment, Result, Segment, SegmentEdit, SegmentKind, SegmentMember, SegmentSize,
    SegmentVersion, Segments, StoreError,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::accounts::unique_violation;
use crate::codec::{ms, time};
use crate::{SqliteStore, db_err};

const SEGMENT_COLUMNS: &str = "id, name, description, rule, kind, version, created_at, updated_at";

fn segment_row(r: &rusqlite::Row) -> rusqlite::Result<Segment> {
    let kind: String = r.get(4)?;
    Ok(Segment {
        id: SegmentId(r.get(0)?),
        name: r.get(1)?,
        description: r.get(2)?,
        rule: r.get(3)?,
        kind: SegmentKind::parse(&kind).unwrap_or(SegmentKind::Custom),
        version: r.get(5)?,
        created_at: time(r.get(6)?),
        updated_at: time(r.get(7)?),
    })
}

fn load_segment(c: &Connection, ws: WorkspaceId, id: i64) -> Result<Option<Segment>> {
    c.cached_row(
        &format!("SELECT {SEGMENT_COLUMNS} FROM segments WHERE workspace_id = ?1 AND id = ?2"),
        params![ws.0, id],
        segment_row,
    )
    .optional()
    .map_err(db_err)
}

fn add_version(
    c: &Connection,
    id: i64,
    version: i32,
    rule: &str,
    at: DateTime<Utc>,
    by: &Option<String>,
) -> Result<()> {
    c.cached_execute(
        "INSERT INTO segment_versions (segment_id, version, rule, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, version, rule, ms(at), by],
    )
    .map_err(db_err)?;
    Ok(())
}

/// A membership change from the row's columns `segment_id, person_id, entered, at`, from
/// `first` on.
fn membership_change(r: &rusqlite::Row, first: usize) -> rusqlite::Result<MembershipChange> {
    Ok(MembershipChange {
        segment: SegmentId(r.get(first)?),
        person: PersonId(r.get(first + 1)?),
        entered: r.get(first + 2)?,
        at: time(r.get(first + 3)?),
    })
}

#[async_trait::async_trait]
impl Segments for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn create_segment(&self, ws: WorkspaceId, segment: &NewSegment) -> Result<Segment> {
        let s = segment.clone();
        self.write(move |tx| {
            tx.cached_execute(
                "INSERT INTO segments (workspace_id, name, description, rule, kind, version, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)",
                params![ws.0, s.name, s.description, s.rule, s.kind.as_str(), ms(s.at)],
            )
            .map_err(unique_violation(format!("segment {}", s.name)))?;
            let id = tx.last_insert_rowid();
            add_version(tx, id, 1, &s.rule, s.at, &s.by)?;
            load_segment(tx, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("segment {id}")))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segments(&self, ws: WorkspaceId) -> Result<Vec<Segment>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {SEGMENT_COLUMNS} FROM segments WHERE workspace_id = ?1 ORDER BY name"
                ))
                .map_err(db_err)?;
            let rows = stmt.query_map([ws.0], segment_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment(&self, ws: WorkspaceId, id: SegmentId) -> Result<Option<Segment>> {
        let id = id.0;
        self.read(move |c| load_segment(c, ws, id)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment_versions(&self, ws: WorkspaceId, id: SegmentId) -> Result<Vec<SegmentVersion>> {
        let id = id.0;
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT v.version, v.rule, v.created_at, v.created_by FROM segment_versions v
                     JOIN segments s ON s.id = v.segment_id
                     WHERE s.workspace_id = ?1 AND v.segment_id = ?2 ORDER BY v.version DESC",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, id], |r| {
                    Ok(SegmentVersion {
                        version: r.get(0)?,
                        rule: r.get(1)?,
                        created_at: time(r.get(2)?),
                        created_by: r.get(3)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn update_segment(&self, ws: WorkspaceId, id: SegmentId, edit: &SegmentEdit) -> Result<Segment> {
        let id = id.0;
        let edit = edit.clone();
        self.write(move |tx| {
            let current = load_segment(tx, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("segment {id}")))?;
            let name = edit.name.unwrap_or(current.name);
            let description = edit.description.unwrap_or(current.description);
            let (rule, version) = match edit.rule {
                Some(rule) if rule != current.rule => {
                    add_version(tx, id, current.version + 1, &rule, edit.at, &edit.by)?;
                    (rule, current.version + 1)
                }
                _ => (current.rule, current.version),
            };
            tx.cached_execute(
                "UPDATE segments SET name = ?3, description = ?4, rule = ?5, version = ?6, updated_at = ?7
                 WHERE workspace_id = ?1 AND id = ?2",
                params![ws.0, id, name, description, rule, version, ms(edit.at)],
            )
            .map_err(unique_violation(format!("segment {name}")))?;
            load_segment(tx, ws, id)?.ok_or_else(|| StoreError::NotFound(format!("segment {id}")))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_segment(&self, ws: WorkspaceId, id: SegmentId) -> Result<()> {
        let id = id.0;
        self.write(move |tx| {
            let n = tx
                .cached_execute("DELETE FROM segments WHERE workspace_id = ?1 AND id = ?2", params![ws.0, id])
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("segment {id}"))) } else { Ok(()) }
        })
        .await
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
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT m.person_id, m.since FROM segment_members m JOIN segments s ON s.id = m.segment_id
                     WHERE s.workspace_id = ?1 AND m.segment_id = ?2 AND m.person_id > ?3
                     ORDER BY m.person_id LIMIT ?4",
                )
                .map_err(db_err)?;
            let after = after.map(|p| p.0.as_bytes().to_vec()).unwrap_or_default();
            let rows = stmt
                .query_map(params![ws.0, id, after, limit], |r| {
                    Ok(SegmentMember { person: PersonId(r.get(0)?), since: time(r.get(1)?) })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn all_segment_members(&self, ws: WorkspaceId) -> Result<Vec<(SegmentId, PersonId)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT m.segment_id, m.person_id FROM segment_members m JOIN segments s ON s.id = m.segment_id
                     WHERE s.workspace_id = ?1",
                )
                .map_err(db_err)?;
            let rows = stmt.query_map([ws.0], |r| Ok((SegmentId(r.get(0)?), PersonId(r.get(1)?)))).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_membership(
        &self,
        ws: WorkspaceId,
        changes: &[MembershipChange],
        sizes: &[SegmentSize],
    ) -> Result<()> {
        let (changes, sizes) = (changes.to_vec(), sizes.to_vec());
        self.write(move |tx| {
            let mut enter = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO segment_members (segment_id, person_id, since)
                     SELECT id, ?3, ?4 FROM segments WHERE workspace_id = ?1 AND id = ?2",
                )
                .map_err(db_err)?;
            let mut leave = tx
                .prepare_cached("DELETE FROM segment_members WHERE segment_id = ?1 AND person_id = ?2")
                .map_err(db_err)?;
            let mut record = tx
                .prepare_cached(
                    "INSERT INTO segment_changes (workspace_id, segment_id, person_id, entered, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(db_err)?;
            for c in &changes {
                if c.entered {
                    enter.execute(params![ws.0, c.segment.0, c.person.0, ms(c.at)]).map_err(db_err)?;
                } else {
                    leave.execute(params![c.segment.0, c.person.0]).map_err(db_err)?;
                }
                record.execute(params![ws.0, c.segment.0, c.person.0, c.entered, ms(c.at)]).map_err(db_err)?;
            }
            let mut size = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO segment_sizes (segment_id, at, size)
                     SELECT id, ?3, ?4 FROM segments WHERE workspace_id = ?1 AND id = ?2",
                )
                .map_err(db_err)?;
            for s in &sizes {
                size.execute(params![ws.0, s.segment.0, ms(s.at), s.size as i64]).map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment_changes(&self, ws: WorkspaceId, id: SegmentId, limit: u32) -> Result<Vec<MembershipChange>> {
        let id = id.0;
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT segment_id, person_id, entered, at FROM segment_changes WHERE segment_id = ?2 AND workspace_id = ?1
                     ORDER BY id DESC LIMIT ?3",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, id, limit], |r| membership_change(r, 0))
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn segment_sizes(&self, ws: WorkspaceId, id: SegmentId, since: DateTime<Utc>) -> Result<Vec<SegmentSize>> {
        let id = id.0;
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT z.at, z.size FROM segment_sizes z JOIN segments s ON s.id = z.segment_id
                     WHERE s.workspace_id = ?1 AND z.segment_id = ?2 AND z.at >= ?3 ORDER BY z.at",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, id, ms(since)], |r| {
                    Ok(SegmentSize { segment: SegmentId(id), at: time(r.get(0)?), size: r.get::<_, i64>(1)? as u64 })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn membership_changes_after(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, MembershipChange)>> {
        self.feed(
            "SELECT id, segment_id, person_id, entered, at FROM segment_changes",
            ws,
            after,
            limit,
            membership_change,
        )
        .await
    }
}
