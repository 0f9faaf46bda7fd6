//! Where a reader of the event log is, per workspace: tables of (workspace_id, cursor), each
//! read and moved the same way. Same answers as SQLite's cursors.rs.

use rekindle_core::WorkspaceId;
use rekindle_store::Result;
use sqlx_core::row::Row;
use sqlx_postgres::PgPool;

use crate::{db_err, sql};

/// The tables of cursors; the SQL is written out per table (the queries are `'static`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Journeys,
    Points,
}

/// The cursor kept in `table` (0 before one is written).
pub(crate) async fn read(pool: &PgPool, table: Table, ws: WorkspaceId) -> Result<i64> {
    let query = match table {
        Table::Journeys => "SELECT cursor FROM journey_cursors WHERE workspace_id = $1",
        Table::Points => "SELECT cursor FROM points_cursors WHERE workspace_id = $1",
    };
    let row = sql(query).bind(ws.0).fetch_optional(pool).await.map_err(db_err)?;
    Ok(row.map(|r| r.try_get(0)).transpose().map_err(db_err)?.unwrap_or(0))
}

/// Move the cursor in `table`. Only forward: a node that read less of the log cannot move it
/// back.
pub(crate) async fn write(pool: &PgPool, table: Table, ws: WorkspaceId, cursor: i64) -> Result<()> {
    let query = match table {
        Table::Journeys => {
            "INSERT INTO journey_cursors (workspace_id, cursor) VALUES ($1, $2)
             ON CONFLICT (workspace_id) DO UPDATE SET cursor = GREATEST(journey_cursors.cursor, EXCLUDED.cursor)"
        }
        Table::Points => {
            "INSERT INTO points_cursors (workspace_id, cursor) VALUES ($1, $2)
             ON CONFLICT (workspace_id) DO UPDATE SET cursor = GREATEST(points_cursors.cursor, EXCLUDED.cursor)"
        }
    };
    sql(query).bind(ws.0).bind(cursor).execute(pool).await.map_err(db_err)?;
    Ok(())
}
