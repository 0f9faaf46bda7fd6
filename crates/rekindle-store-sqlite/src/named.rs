//! Definitions kept whole as JSON by name: message templates and coupon definitions.

use rekindle_core::WorkspaceId;
use rekindle_store::{Result, StoreError};
use rusqlite::{Connection, params};

use crate::Cached;
use crate::db_err;

/// Insert or replace the definition `name` in `table`.
pub(crate) fn put_named(c: &Connection, table: &str, ws: WorkspaceId, name: &str, body: String) -> Result<()> {
    c.cached_execute(
        &format!(
            "INSERT INTO {table} (workspace_id, name, body) VALUES (?1, ?2, ?3)
                  ON CONFLICT (workspace_id, name) DO UPDATE SET body = excluded.body"
        ),
        params![ws.0, name, body],
    )
    .map_err(db_err)?;
    Ok(())
}

/// The workspace's definitions in `table`, by name.
pub(crate) fn named<T: serde::de::DeserializeOwned>(c: &Connection, table: &str, ws: WorkspaceId) -> Result<Vec<T>> {
    let mut stmt =
        c.prepare_cached(&format!("SELECT body FROM {table} WHERE workspace_id = ?1 ORDER BY name")).map_err(db_err)?;
    let rows = stmt.query_map([ws.0], |r| r.get::<_, String>(0)).map_err(db_err)?;
    rows.map(|r| serde_json::from_str(&r.map_err(db_err)?).map_err(StoreError::backend)).collect()
}
