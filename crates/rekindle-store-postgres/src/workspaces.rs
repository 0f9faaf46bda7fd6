//! Workspaces (and their settings) and write keys.

use chrono::Utc;
use rekindle_core::WorkspaceId;
use rekindle_store::{Result, StoreError, Workspace, WriteKey};
use sqlx_core::error::{Error, ErrorKind};
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;

use crate::{PostgresStore, db_err, sql};

pub(crate) fn workspace(r: &PgRow) -> Result<Workspace, Error> {
    Ok(Workspace {
        id: WorkspaceId(r.try_get(0)?),
        slug: r.try_get(1)?,
        name: r.try_get(2)?,
        time_zone: r.try_get(3)?,
        created_at: r.try_get(4)?,
    })
}

fn write_key(r: &PgRow) -> Result<WriteKey, Error> {
    Ok(WriteKey {
        id: r.try_get(0)?,
        workspace: WorkspaceId(r.try_get(1)?),
        name: r.try_get(2)?,
        prefix: r.try_get(3)?,
        created_at: r.try_get(4)?,
        revoked_at: r.try_get(5)?,
    })
}

pub(crate) fn is_unique_violation(e: &Error) -> bool {
    e.as_database_error().is_some_and(|d| d.kind() == ErrorKind::UniqueViolation)
}

#[async_trait::async_trait]
impl rekindle_store::Workspaces for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_workspace(&self, slug: &str, name: &str, time_zone: &str) -> Result<Workspace> {
        let row = sql("INSERT INTO workspaces (slug, name, time_zone, created_at) VALUES ($1, $2, $3, $4)
                       RETURNING id, slug, name, time_zone, created_at")
        .bind(slug)
        .bind(name)
        .bind(time_zone)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e {
            e if is_unique_violation(&e) => StoreError::AlreadyExists(format!("workspace {slug}")),
            e => db_err(e),
        })?;
        workspace(&row).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>> {
        let row = sql("SELECT id, slug, name, time_zone, created_at FROM workspaces WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(workspace).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn workspaces(&self) -> Result<Vec<Workspace>> {
        let rows = sql("SELECT id, slug, name, time_zone, created_at FROM workspaces ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(workspace).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn create_write_key(&self, ws: WorkspaceId, name: &str, hash: &str, prefix: &str) -> Result<WriteKey> {
        let row = sql("INSERT INTO write_keys (workspace_id, name, key_hash, prefix, created_at)
                       VALUES ($1, $2, $3, $4, $5)
                       RETURNING id, workspace_id, name, prefix, created_at, revoked_at")
        .bind(ws.0)
        .bind(name)
        .bind(hash)
        .bind(prefix)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e {
            e if is_unique_violation(&e) => StoreError::AlreadyExists("write key".into()),
            e => db_err(e),
        })?;
        write_key(&row).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn write_keys(&self, ws: WorkspaceId) -> Result<Vec<WriteKey>> {
        let rows = sql("SELECT id, workspace_id, name, prefix, created_at, revoked_at
                        FROM write_keys WHERE workspace_id = $1 ORDER BY id")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(write_key).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn revoke_write_key(&self, ws: WorkspaceId, id: i64) -> Result<()> {
        // Revoking twice keeps the first time; the row still counts as found.
        let done =
            sql("UPDATE write_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0)
                .bind(id)
                .bind(Utc::now())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound(format!("write key {id}"))) } else { Ok(()) }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn write_key_by_hash(&self, hash: &str) -> Result<Option<WriteKey>> {
        let row = sql("SELECT id, workspace_id, name, prefix, created_at, revoked_at
                       FROM write_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(write_key).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn update_workspace(
        &self,
        ws: WorkspaceId,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<Workspace> {
        // A `None` keeps the column as it is.
        let row = sql("UPDATE workspaces SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone)
                       WHERE id = $1 RETURNING id, slug, name, time_zone, created_at")
        .bind(ws.0)
        .bind(name)
        .bind(time_zone)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let row = row.ok_or_else(|| StoreError::NotFound(format!("workspace {}", ws.0)))?;
        workspace(&row).map_err(db_err)
    }
}
