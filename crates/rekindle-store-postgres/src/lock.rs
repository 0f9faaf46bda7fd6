//! What an append locks before it reads, so that appends on other nodes never plan from data
//! they are about to change.
//!
//! Two levels of transaction-scoped advisory locks:
//! - a small batch takes its workspace's lock shared, then one exclusive lock per lookup key
//!   (workspace, kind, value). Two batches that could make or link a person for the same new
//!   identifier share a key (an identifier's lookup keys include every kind it matches), so
//!   one waits for the other and then sees its person.
//! - a large batch takes its workspace's lock exclusively instead. One lock rather than
//!   thousands: advisory locks live in PostgreSQL's shared lock table, sized by
//!   `max_locks_per_transaction` (64 per connection by default), which big batches would
//!   exhaust. Large batches then run one at a time per workspace, as in SQLite.
//!
//! Keys are locked in hash order by one statement, after the workspace lock, so two appends
//! always lock in the same order and cannot deadlock each other.

use rekindle_core::{Identifier, WorkspaceId};
use sqlx_core::error::Error;
use sqlx_postgres::PgConnection;

use crate::sql;

/// Most identifier locks one append takes before it locks the whole workspace instead.
pub const MAX_KEY_LOCKS: usize = 256;

/// The first half of workspace locks' two-key advisory ids ("RK"). The two-key space is apart
/// from the one-key space of identifier locks and of sqlx's migration lock.
const WORKSPACE_LOCK_CLASS: i32 = 0x524b;

/// What an append holds until it commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Its lookup keys: other appends to the workspace run beside it, so the people it loads
    /// must be row-locked too (see `append.rs`).
    Keys,
    /// The whole workspace: no other append runs in it until this one ends.
    Workspace,
}

pub async fn lock_batch(conn: &mut PgConnection, ws: WorkspaceId, keys: &[Identifier]) -> Result<Held, Error> {
    // Workspace ids past i32 share a lock with another workspace: more waiting, never less safety.
    let ws_lock = ws.0 as i32;
    if keys.len() > MAX_KEY_LOCKS {
        sql("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(WORKSPACE_LOCK_CLASS)
            .bind(ws_lock)
            .execute(&mut *conn)
            .await?;
        return Ok(Held::Workspace);
    }
    sql("SELECT pg_advisory_xact_lock_shared($1, $2)")
        .bind(WORKSPACE_LOCK_CLASS)
        .bind(ws_lock)
        .execute(&mut *conn)
        .await?;
    if keys.is_empty() {
        return Ok(Held::Keys);
    }
    let kinds: Vec<&str> = keys.iter().map(|k| k.kind.as_str()).collect();
    let values: Vec<&str> = keys.iter().map(|k| k.value.as_str()).collect();
    // The server hashes, so every node agrees on the ids whatever build it runs. Kind names
    // hold no ':' and the workspace id is a number, so the text names one key.
    sql("SELECT count(pg_advisory_xact_lock(k)) FROM (
             SELECT DISTINCT hashtextextended(($1::bigint)::text || ':' || kind || ':' || value, 0) AS k
             FROM UNNEST($2::text[], $3::text[]) AS t(kind, value)
             ORDER BY k
         ) AS keys")
    .bind(ws.0)
    .bind(kinds)
    .bind(values)
    .execute(&mut *conn)
    .await?;
    Ok(Held::Keys)
}

/// Wait until no append to the workspace is in flight, and keep new ones out until the
/// transaction ends. For [`crate::PostgresStore`]'s horizon: ids come from sequences when rows
/// are inserted, not when they commit, so with appends running side by side an event may commit
/// after one with a higher id, and the highest committed id alone would let an incremental
/// reader pass over it for good. Every append holds this lock, shared or exclusive, from before
/// it inserts until it commits; holding it exclusively, a read sees every id handed out so far
/// committed (or rolled back), and any id handed out later is higher.
pub async fn lock_workspace_quiet(conn: &mut PgConnection, ws: WorkspaceId) -> Result<(), Error> {
    sql("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(WORKSPACE_LOCK_CLASS)
        .bind(ws.0 as i32)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
