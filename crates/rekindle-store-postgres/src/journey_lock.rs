//! What journeys and delivery lock before they count, so that nodes deciding at the same moment
//! decide one after another, as SQLite's single writer would.
//!
//! SQLite counts and inserts inside one write transaction and no other writer can come between.
//! Here two nodes may both count a person's messages before either inserts, and both take the
//! last slot of a cap. So a transaction first takes transaction-scoped advisory locks on what
//! its counts read, then counts and inserts; READ COMMITTED is enough, since each statement
//! after the lock sees what the previous holder committed.
//!
//! Keys are two-key advisory ids `(class, hashtext(text))`. The classes below are apart from
//! `lock.rs`'s workspace class (`0x524b` in the same two-key space), from its identifier locks
//! and from sqlx's migration lock (both in the one-key space, which PostgreSQL keeps apart from
//! the two-key one). A 32-bit hash may put two keys on one lock: more waiting, never less safety.
//!
//! Every call locks all its keys up front, once each, in (class, hash) order, by one
//! statement; so two transactions always lock in the same order and cannot deadlock each other.

use rekindle_core::{PersonId, WorkspaceId};
use sqlx_core::error::Error;
use sqlx_postgres::PgConnection;

use crate::sql;

/// The messages of one person in a workspace: every cap but the per-number one counts these.
pub const PERSON_MESSAGES: i32 = 0x524b_0001;
/// The SMS to one number in a workspace, whoever they are for: the per-number cap counts these.
pub const NUMBER_MESSAGES: i32 = 0x524b_0002;
/// One person's enrollments in one journey: the re-entry check and the insert.
pub const ENROLLMENT: i32 = 0x524b_0003;
/// One person's issues of one coupon in a workspace: the per-person limit.
pub const COUPON_ISSUES: i32 = 0x524b_0004;
/// One person's points ledger in a workspace: a debit's balance check and its insert.
pub const POINTS: i32 = 0x524b_0005;

/// A journey's entries, when it limits them: the counts against its limits and the insert.
pub const JOURNEY_ENTRIES: i32 = 0x524b_0011;
/// A journey's coupons, when it has a budget: the count against it and the insert.
pub const JOURNEY_COUPONS: i32 = 0x524b_0012;

/// A lock to take: its class and the text hashed into its second key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    class: i32,
    text: String,
}

impl Key {
    pub fn person_messages(ws: WorkspaceId, person: PersonId) -> Self {
        // The workspace id is a number and a uuid's text has no ':', so the text names one key.
        Self { class: PERSON_MESSAGES, text: format!("{}:{}", ws.0, person.0) }
    }

    pub fn number_messages(ws: WorkspaceId, recipient: &str) -> Self {
        Self { class: NUMBER_MESSAGES, text: format!("{}:{recipient}", ws.0) }
    }

    pub fn enrollment(journey: i64, person: PersonId) -> Self {
        // Journey ids are unique across workspaces.
        Self { class: ENROLLMENT, text: format!("{journey}:{}", person.0) }
    }

    pub fn journey_entries(journey: i64) -> Self {
        Self { class: JOURNEY_ENTRIES, text: journey.to_string() }
    }

    pub fn journey_coupons(journey: i64) -> Self {
        Self { class: JOURNEY_COUPONS, text: journey.to_string() }
    }

    pub fn points(ws: WorkspaceId, person: PersonId) -> Self {
        Self { class: POINTS, text: format!("{}:{}", ws.0, person.0) }
    }

    pub fn coupon_issues(ws: WorkspaceId, person: PersonId, coupon: &str) -> Self {
        Self { class: COUPON_ISSUES, text: format!("{}:{}:{coupon}", ws.0, person.0) }
    }
}

/// Take these locks until the transaction ends.
pub async fn lock(conn: &mut PgConnection, keys: &[Key]) -> Result<(), Error> {
    if keys.is_empty() {
        return Ok(());
    }
    let classes: Vec<i32> = keys.iter().map(|k| k.class).collect();
    let texts: Vec<&str> = keys.iter().map(|k| k.text.as_str()).collect();
    // The server hashes, so every node agrees on the ids whatever build it runs; the order is
    // the order of those ids, so it is the same on every node too.
    sql("SELECT count(pg_advisory_xact_lock(class, k)) FROM (
             SELECT DISTINCT class, hashtext(text) AS k
             FROM UNNEST($1::int[], $2::text[]) AS t(class, text)
             ORDER BY class, k
         ) AS keys")
    .bind(classes)
    .bind(texts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
