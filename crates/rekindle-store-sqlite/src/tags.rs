//! Tag definitions and the manual tags on people.

use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{PersonTag, Result, StoreError, Tag, Tags};
use rusqlite::params;

use crate::Cached;
use crate::codec::{ms, time};
use crate::{SqliteStore, db_err};

#[async_trait::async_trait]
impl Tags for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_tag(&self, ws: WorkspaceId, tag: &Tag) -> Result<()> {
        let tag = tag.clone();
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn tags(&self, ws: WorkspaceId) -> Result<Vec<Tag>> {
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_tag(&self, ws: WorkspaceId, name: &str) -> Result<()> {
        let name = name.to_string();
        self.write(move |tx| {
            let n = tx
                .cached_execute("DELETE FROM tags WHERE workspace_id = ?1 AND name = ?2", params![ws.0, name])
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("tag {name}"))) } else { Ok(()) }
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn tag_person(&self, ws: WorkspaceId, tag: &PersonTag) -> Result<()> {
        let tag = tag.clone();
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn untag_person(&self, ws: WorkspaceId, person: PersonId, tag: &str) -> Result<()> {
        let tag = tag.to_string();
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

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_tags(&self, ws: WorkspaceId, person: Option<PersonId>) -> Result<Vec<PersonTag>> {
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
