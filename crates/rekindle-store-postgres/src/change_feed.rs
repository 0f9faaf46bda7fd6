//! Recorded segment and stage changes as a feed the journey runner follows by id (where it is
//! in them is its change cursors, in `enrollments.rs`). A workspace's changes are written by its
//! one refresh at a time, so within a workspace ids grow in commit order.

use rekindle_core::WorkspaceId;
use rekindle_store::Result;
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::{PgPool, PgRow};

use crate::{db_err, sql_owned};

/// The workspace's rows of `select` (id first, then what `change` reads) after `after`.
pub(crate) async fn changes_after<T>(
    pool: &PgPool,
    select: &'static str,
    ws: WorkspaceId,
    after: i64,
    limit: u32,
    change: fn(&PgRow, usize) -> Result<T, Error>,
) -> Result<Vec<(i64, T)>> {
    let rows = sql_owned(format!("{select} WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3"))
        .bind(ws.0)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| Ok((r.try_get(0)?, change(r, 1)?))).collect::<Result<_, Error>>().map_err(db_err)
}
