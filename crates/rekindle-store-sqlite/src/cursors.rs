//! Where a reader of the event log is, per workspace: tables of (workspace_id, cursor), each
//! read and moved the same way.

use rekindle_core::WorkspaceId;
use rekindle_store::Result;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Cached, db_err};

/// The cursor kept in `table` (0 before one is written).
pub(crate) fn read(c: &Connection, table: &'static str, ws: WorkspaceId) -> Result<i64> {
    let cursor = c
        .cached_row(&format!("SELECT cursor FROM {table} WHERE workspace_id = ?1"), [ws.0], |r| r.get(0))
        .optional()
        .map_err(db_err)?;
    Ok(cursor.unwrap_or(0))
}

/// Move the cursor in `table`; it only moves forward.
pub(crate) fn write(c: &Connection, table: &'static str, ws: WorkspaceId, cursor: i64) -> Result<()> {
    c.cached_execute(
        &format!(
            "INSERT INTO {table} (workspace_id, cursor) VALUES (?1, ?2)
             ON CONFLICT (workspace_id) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)"
        ),
        params![ws.0, cursor],
    )
    .map_err(db_err)?;
    Ok(())
}
