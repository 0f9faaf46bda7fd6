//! Segments, their versions and membership; lifecycle stages; tags.

use chrono::{DateTime, Utc};
use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{
    MembershipChange, NewSegment, PersonTag, Result, Segment, SegmentEdit, SegmentKind, SegmentMember, SegmentSize,
    SegmentVersion, StageChange, StoreError, Tag,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::accounts::unique_violation;
use crate::codec::{ms, parse, time};
use crate::{SqliteStore, db_err};

const SEGMENT_COLUMNS: &str = "id, name, description, rule, kind, version, created_at, updated_at";

fn segment_row(r: &rusqlite::Row) -> rusqlite::Result<Segment> {
    let kind: String = r.get(4)?;
    Ok(Segment {
        id: r.get(0)?,
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

fn stage(s: Option<String>) -> rusqlite::Result<Option<Stage>> {
    s.map(|s| parse::<Stage>(&s)).transpose()
}

/// A membership change from the row's columns `segment_id, person_id, entered, at`, from
/// `first` on.
pub(crate) fn membership_change(r: &rusqlite::Row, first: usize) -> rusqlite::Result<MembershipChange> {
    Ok(MembershipChange {
        segment: r.get(first)?,
        person: PersonId(r.get(first + 1)?),
        entered: r.get(first + 2)?,
        at: time(r.get(first + 3)?),
    })
}

/// A stage change from the row's columns `person_id, from_stage, to_stage, at`, from `first` on.
pub(crate) fn stage_change(r: &rusqlite::Row, first: usize) -> rusqlite::Result<StageChange> {
    Ok(StageChange {
        person: PersonId(r.get(first)?),
        from: stage(r.get(first + 1)?)?,
        to: parse::<Stage>(&r.get::<_, String>(first + 2)?)?,
        at: time(r.get(first + 3)?),
    })
}

impl SqliteStore {
    pub(crate) async fn create_segment_impl(&self, ws: WorkspaceId, s: NewSegment) -> Result<Segment> {
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

    pub(crate) async fn segments_impl(&self, ws: WorkspaceId) -> Result<Vec<Segment>> {
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

    pub(crate) async fn segment_impl(&self, ws: WorkspaceId, id: i64) -> Result<Option<Segment>> {
        self.read(move |c| load_segment(c, ws, id)).await
    }

    pub(crate) async fn segment_versions_impl(&self, ws: WorkspaceId, id: i64) -> Result<Vec<SegmentVersion>> {
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

    pub(crate) async fn update_segment_impl(&self, ws: WorkspaceId, id: i64, edit: SegmentEdit) -> Result<Segment> {
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

    pub(crate) async fn delete_segment_impl(&self, ws: WorkspaceId, id: i64) -> Result<()> {
        self.write(move |tx| {
            let n = tx
                .cached_execute("DELETE FROM segments WHERE workspace_id = ?1 AND id = ?2", params![ws.0, id])
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("segment {id}"))) } else { Ok(()) }
        })
        .await
    }

    pub(crate) async fn segment_members_impl(
        &self,
        ws: WorkspaceId,
        id: i64,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<SegmentMember>> {
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

    pub(crate) async fn all_segment_members_impl(&self, ws: WorkspaceId) -> Result<Vec<(i64, PersonId)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT m.segment_id, m.person_id FROM segment_members m JOIN segments s ON s.id = m.segment_id
                     WHERE s.workspace_id = ?1",
                )
                .map_err(db_err)?;
            let rows = stmt.query_map([ws.0], |r| Ok((r.get(0)?, PersonId(r.get(1)?)))).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    pub(crate) async fn record_membership_impl(
        &self,
        ws: WorkspaceId,
        changes: Vec<MembershipChange>,
        sizes: Vec<SegmentSize>,
    ) -> Result<()> {
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
                    enter.execute(params![ws.0, c.segment, c.person.0, ms(c.at)]).map_err(db_err)?;
                } else {
                    leave.execute(params![c.segment, c.person.0]).map_err(db_err)?;
                }
                record.execute(params![ws.0, c.segment, c.person.0, c.entered, ms(c.at)]).map_err(db_err)?;
            }
            let mut size = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO segment_sizes (segment_id, at, size)
                     SELECT id, ?3, ?4 FROM segments WHERE workspace_id = ?1 AND id = ?2",
                )
                .map_err(db_err)?;
            for s in &sizes {
                size.execute(params![ws.0, s.segment, ms(s.at), s.size as i64]).map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn segment_changes_impl(
        &self,
        ws: WorkspaceId,
        id: i64,
        limit: u32,
    ) -> Result<Vec<MembershipChange>> {
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

    pub(crate) async fn segment_sizes_impl(
        &self,
        ws: WorkspaceId,
        id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<SegmentSize>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT z.at, z.size FROM segment_sizes z JOIN segments s ON s.id = z.segment_id
                     WHERE s.workspace_id = ?1 AND z.segment_id = ?2 AND z.at >= ?3 ORDER BY z.at",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![ws.0, id, ms(since)], |r| {
                    Ok(SegmentSize { segment: id, at: time(r.get(0)?), size: r.get::<_, i64>(1)? as u64 })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    pub(crate) async fn stages_impl(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, Stage)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT person_id, stage FROM person_stages WHERE workspace_id = ?1")
                .map_err(db_err)?;
            let rows = stmt
                .query_map([ws.0], |r| Ok((PersonId(r.get(0)?), parse::<Stage>(&r.get::<_, String>(1)?)?)))
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    pub(crate) async fn record_stage_changes_impl(&self, ws: WorkspaceId, changes: Vec<StageChange>) -> Result<()> {
        self.write(move |tx| {
            let mut set = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO person_stages (workspace_id, person_id, stage, since) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_err)?;
            let mut record = tx
                .prepare_cached(
                    "INSERT INTO stage_changes (workspace_id, person_id, from_stage, to_stage, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(db_err)?;
            for c in &changes {
                set.execute(params![ws.0, c.person.0, c.to.as_str(), ms(c.at)]).map_err(db_err)?;
                record
                    .execute(params![ws.0, c.person.0, c.from.map(Stage::as_str), c.to.as_str(), ms(c.at)])
                    .map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn stage_changes_impl(
        &self,
        ws: WorkspaceId,
        person: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<StageChange>> {
        self.read(move |c| {
            let row = |r: &rusqlite::Row| stage_change(r, 0);
            let cols = "person_id, from_stage, to_stage, at";
            let rows = match person {
                Some(p) => c
                    .prepare_cached(&format!(
                        "SELECT {cols} FROM stage_changes WHERE person_id = ?2 AND workspace_id = ?1
                         ORDER BY id DESC LIMIT ?3"
                    ))
                    .and_then(|mut s| s.query_map(params![ws.0, p.0, limit], row)?.collect()),
                None => c
                    .prepare_cached(&format!(
                        "SELECT {cols} FROM stage_changes WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2"
                    ))
                    .and_then(|mut s| s.query_map(params![ws.0, limit], row)?.collect()),
            };
            rows.map_err(db_err)
        })
        .await
    }

    pub(crate) async fn put_tag_impl(&self, ws: WorkspaceId, tag: Tag) -> Result<()> {
        self.write(move |tx| {
            tx.cached_execute(
                "INSERT INTO tags (workspace_id, name, rule, description, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (workspace_id, name) DO UPDATE SET rule = excluded.rule, description = excluded.description",
                params![ws.0, tag.name, tag.rule, tag.description, ms(tag.created_at)],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn tags_impl(&self, ws: WorkspaceId) -> Result<Vec<Tag>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT name, rule, description, created_at FROM tags WHERE workspace_id = ?1 ORDER BY name",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map([ws.0], |r| {
                    Ok(Tag { name: r.get(0)?, rule: r.get(1)?, description: r.get(2)?, created_at: time(r.get(3)?) })
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
        .await
    }

    pub(crate) async fn delete_tag_impl(&self, ws: WorkspaceId, name: String) -> Result<()> {
        self.write(move |tx| {
            let n = tx
                .cached_execute("DELETE FROM tags WHERE workspace_id = ?1 AND name = ?2", params![ws.0, name])
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("tag {name}"))) } else { Ok(()) }
        })
        .await
    }

    pub(crate) async fn tag_person_impl(&self, ws: WorkspaceId, tag: PersonTag) -> Result<()> {
        self.write(move |tx| {
            let n = tx
                .cached_execute(
                    "INSERT OR IGNORE INTO person_tags (workspace_id, person_id, tag, at)
                     SELECT workspace_id, ?2, name, ?4 FROM tags WHERE workspace_id = ?1 AND name = ?3",
                    params![ws.0, tag.person.0, tag.tag, ms(tag.at)],
                )
                .map_err(db_err)?;
            let defined: bool = tx
                .cached_row(
                    "SELECT EXISTS (SELECT 1 FROM tags WHERE workspace_id = ?1 AND name = ?2)",
                    params![ws.0, tag.tag],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            if n == 0 && !defined { Err(StoreError::NotFound(format!("tag {}", tag.tag))) } else { Ok(()) }
        })
        .await
    }

    pub(crate) async fn untag_person_impl(&self, ws: WorkspaceId, person: PersonId, tag: String) -> Result<()> {
        self.write(move |tx| {
            let n = tx
                .cached_execute(
                    "DELETE FROM person_tags WHERE workspace_id = ?1 AND person_id = ?2 AND tag = ?3",
                    params![ws.0, person.0, tag],
                )
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("tag {tag} on {person}"))) } else { Ok(()) }
        })
        .await
    }

    pub(crate) async fn person_tags_impl(&self, ws: WorkspaceId, person: Option<PersonId>) -> Result<Vec<PersonTag>> {
        self.read(move |c| {
            let row = |r: &rusqlite::Row| Ok(PersonTag { person: PersonId(r.get(0)?), tag: r.get(1)?, at: time(r.get(2)?) });
            let rows = match person {
                Some(p) => c
                    .prepare_cached(
                        "SELECT person_id, tag, at FROM person_tags WHERE workspace_id = ?1 AND person_id = ?2 ORDER BY tag",
                    )
                    .and_then(|mut s| s.query_map(params![ws.0, p.0], row)?.collect()),
                None => c
                    .prepare_cached(
                        "SELECT person_id, tag, at FROM person_tags WHERE workspace_id = ?1 ORDER BY person_id, tag",
                    )
                    .and_then(|mut s| s.query_map(params![ws.0], row)?.collect()),
            };
            rows.map_err(db_err)
        })
        .await
    }
}
