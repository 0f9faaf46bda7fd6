//! Workspaces and write keys.

use chrono::Utc;
use rekindle_core::WorkspaceId;
use rekindle_store::{Result, StoreError, Workspace, Workspaces, WriteKey};
use rusqlite::{OptionalExtension, Row, params};

use crate::codec::{ms, time};
use crate::{SqliteStore, db_err};

const WORKSPACE_COLS: &str = "id, slug, name, time_zone, created_at";
const KEY_COLS: &str = "id, workspace_id, name, prefix, created_at, revoked_at";

fn workspace(r: &Row) -> rusqlite::Result<Workspace> {
    Ok(Workspace {
        id: WorkspaceId(r.get(0)?),
        slug: r.get(1)?,
        name: r.get(2)?,
        time_zone: r.get(3)?,
        created_at: time(r.get(4)?),
    })
}

fn write_key(r: &Row) -> rusqlite::Result<WriteKey> {
    Ok(WriteKey {
        id: r.get(0)?,
        workspace: WorkspaceId(r.get(1)?),
        name: r.get(2)?,
        prefix: r.get(3)?,
        created_at: time(r.get(4)?),
        revoked_at: r.get::<_, Option<i64>>(5)?.map(time),
    })
}

#[async_trait::async_trait]
impl Workspaces for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_workspace(&self, slug: &str, name: &str, time_zone: &str) -> Result<Workspace> {
        let (slug, name, tz) = (slug.to_string(), name.to_string(), time_zone.to_string());
        self.write(move |tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM workspaces WHERE slug = ?1", [&slug], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            if exists.is_some() {
                return Err(StoreError::AlreadyExists(format!("workspace {slug}")));
            }
            tx.query_row(
                &format!("INSERT INTO workspaces (slug, name, time_zone, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING {WORKSPACE_COLS}"),
                params![slug, name, tz, ms(Utc::now())],
                workspace,
            )
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>> {
        let slug = slug.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {WORKSPACE_COLS} FROM workspaces WHERE slug = ?1"), [slug], workspace)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn workspaces(&self) -> Result<Vec<Workspace>> {
        self.read(|c| {
            let mut s =
                c.prepare_cached(&format!("SELECT {WORKSPACE_COLS} FROM workspaces ORDER BY id")).map_err(db_err)?;
            s.query_map([], workspace).map_err(db_err)?.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn create_write_key(&self, ws: WorkspaceId, name: &str, hash: &str, prefix: &str) -> Result<WriteKey> {
        let (name, hash, prefix) = (name.to_string(), hash.to_string(), prefix.to_string());
        self.write(move |tx| {
            tx.query_row(
                &format!("INSERT INTO write_keys (workspace_id, name, key_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING {KEY_COLS}"),
                params![ws.0, name, hash, prefix, ms(Utc::now())],
                write_key,
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::AlreadyExists("write key".into())
                }
                e => db_err(e),
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn write_keys(&self, ws: WorkspaceId) -> Result<Vec<WriteKey>> {
        self.read(move |c| {
            let mut s = c
                .prepare(&format!("SELECT {KEY_COLS} FROM write_keys WHERE workspace_id = ?1 ORDER BY id"))
                .map_err(db_err)?;
            s.query_map([ws.0], write_key).map_err(db_err)?.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn revoke_write_key(&self, ws: WorkspaceId, id: i64) -> Result<()> {
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE write_keys SET revoked_at = COALESCE(revoked_at, ?3) WHERE workspace_id = ?1 AND id = ?2",
                    params![ws.0, id, ms(Utc::now())],
                )
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("write key {id}"))) } else { Ok(()) }
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn write_key_by_hash(&self, hash: &str) -> Result<Option<WriteKey>> {
        let hash = hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {KEY_COLS} FROM write_keys WHERE key_hash = ?1 AND revoked_at IS NULL"),
                [hash],
                write_key,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn update_workspace(
        &self,
        ws: WorkspaceId,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<Workspace> {
        let (name, tz) = (name.map(str::to_owned), time_zone.map(str::to_owned));
        self.write(move |tx| {
            tx.query_row(
                &format!(
                    "UPDATE workspaces SET name = COALESCE(?2, name), time_zone = COALESCE(?3, time_zone)
                     WHERE id = ?1 RETURNING {WORKSPACE_COLS}"
                ),
                params![ws.0, name, tz],
                workspace,
            )
            .optional()
            .map_err(db_err)?
            .ok_or_else(|| StoreError::NotFound(format!("workspace {}", ws.0)))
        })
        .await
    }
}
