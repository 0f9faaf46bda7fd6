//! Tag definitions and the manual tags on people. Same answers as SQLite's segments.rs.

use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{PersonTag, Result, StoreError, Tag};
use sqlx_core::error::{Error, ErrorKind};
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;

use crate::{PostgresStore, db_err, sql};

fn tag(r: &PgRow) -> Result<Tag, Error> {
    Ok(Tag { name: r.try_get(0)?, rule: r.try_get(1)?, description: r.try_get(2)?, created_at: r.try_get(3)? })
}

fn person_tag(r: &PgRow) -> Result<PersonTag, Error> {
    Ok(PersonTag { person: PersonId(r.try_get(0)?), tag: r.try_get(1)?, at: r.try_get(2)? })
}

#[async_trait::async_trait]
impl rekindle_store::Tags for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_tag(&self, ws: WorkspaceId, t: &Tag) -> Result<()> {
        sql("INSERT INTO tags (workspace_id, name, rule, description, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (workspace_id, name) DO UPDATE SET rule = EXCLUDED.rule, description = EXCLUDED.description")
        .bind(ws.0)
        .bind(&t.name)
        .bind(&t.rule)
        .bind(&t.description)
        .bind(t.created_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn tags(&self, ws: WorkspaceId) -> Result<Vec<Tag>> {
        let rows = sql("SELECT name, rule, description, created_at FROM tags WHERE workspace_id = $1
                        ORDER BY name COLLATE \"C\"")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(tag).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn delete_tag(&self, ws: WorkspaceId, name: &str) -> Result<()> {
        // Its uses on people go by cascade.
        let done = sql("DELETE FROM tags WHERE workspace_id = $1 AND name = $2")
            .bind(ws.0)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound(format!("tag {name}"))) } else { Ok(()) }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn tag_person(&self, ws: WorkspaceId, t: &PersonTag) -> Result<()> {
        // One statement: the tag's definition and its use on the person are read from one snapshot.
        let row = sql("WITH defined AS (SELECT name FROM tags WHERE workspace_id = $1 AND name = $3),
                            added AS (
                                INSERT INTO person_tags (workspace_id, person_id, tag, at)
                                SELECT $1, $2, name, $4 FROM defined
                                ON CONFLICT (workspace_id, person_id, tag) DO NOTHING)
                       SELECT EXISTS (SELECT 1 FROM defined)")
        .bind(ws.0)
        .bind(t.person.0)
        .bind(&t.tag)
        .bind(t.at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
            // The tag was deleted on another node as this ran.
            Some(ErrorKind::ForeignKeyViolation) => StoreError::NotFound(format!("tag {}", t.tag)),
            _ => db_err(e),
        })?;
        let defined: bool = row.try_get(0).map_err(db_err)?;
        if defined { Ok(()) } else { Err(StoreError::NotFound(format!("tag {}", t.tag))) }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn untag_person(&self, ws: WorkspaceId, person: PersonId, t: &str) -> Result<()> {
        let done = sql("DELETE FROM person_tags WHERE workspace_id = $1 AND person_id = $2 AND tag = $3")
            .bind(ws.0)
            .bind(person.0)
            .bind(t)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound(format!("tag {t} on {person}"))) } else { Ok(()) }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_tags(&self, ws: WorkspaceId, person: Option<PersonId>) -> Result<Vec<PersonTag>> {
        let rows = match person {
            Some(p) => sql("SELECT person_id, tag, at FROM person_tags WHERE workspace_id = $1 AND person_id = $2
                            ORDER BY tag COLLATE \"C\"")
            .bind(ws.0)
            .bind(p.0),
            None => sql("SELECT person_id, tag, at FROM person_tags WHERE workspace_id = $1
                         ORDER BY person_id, tag COLLATE \"C\"")
            .bind(ws.0),
        }
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(person_tag).collect::<Result<_, _>>().map_err(db_err)
    }
}
