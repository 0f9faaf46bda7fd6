//! The points ledger and the loyalty program. Same answers as SQLite's points.rs; a write
//! first locks the person's ledger, so two nodes redeeming from one balance check it one after
//! the other, as SQLite's single writer would.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use rekindle_core::ids::Uuid;
use rekindle_core::loyalty::ledger::{admits, post_in_order};
use rekindle_core::loyalty::{Entry, Kind, Posted, Program};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Points, Redemption, Result};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnection, PgRow};

use crate::documents::{self, Document};
use crate::journey_lock::{self, Key};
use crate::people::PERSON_AND_MERGED;
use crate::{PostgresStore, db_err, sql, sql_owned};

fn entry(r: &PgRow) -> Result<Entry, Error> {
    entry_at(r, 0)
}

/// An entry from the row's columns `kind, points, source, reason, at, expires_at`, from `first` on.
fn entry_at(r: &PgRow, first: usize) -> Result<Entry, Error> {
    let kind: String = r.try_get(first)?;
    Ok(Entry {
        kind: Kind::parse(&kind).unwrap_or(Kind::Adjust),
        points: r.try_get(first + 1)?,
        source: r.try_get(first + 2)?,
        reason: r.try_get(first + 3)?,
        at: r.try_get(first + 4)?,
        expires_at: r.try_get(first + 5)?,
    })
}

async fn post(c: &mut PgConnection, ws: WorkspaceId, person: PersonId, e: &Entry) -> Result<Posted> {
    let written: bool = sql("SELECT EXISTS (SELECT 1 FROM points_entries WHERE workspace_id = $1 AND source = $2)")
        .bind(ws.0)
        .bind(&e.source)
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    if written {
        return Ok(Posted::Again);
    }
    let balance: i64 = sql_owned(format!(
        "SELECT COALESCE(SUM(points), 0)::BIGINT FROM points_entries
         WHERE workspace_id = $1 AND person_id = {PERSON_AND_MERGED}"
    ))
    .bind(ws.0)
    .bind(person.0)
    .fetch_one(&mut *c)
    .await
    .and_then(|r| r.try_get(0))
    .map_err(db_err)?;
    if !admits(balance, e.points) {
        return Ok(Posted::Refused { balance });
    }
    // A source written meanwhile for another person (not under our lock) stands: this is it again.
    let inserted =
        sql("INSERT INTO points_entries (workspace_id, person_id, kind, points, source, reason, at, expires_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING")
        .bind(ws.0)
        .bind(person.0)
        .bind(e.kind.as_str())
        .bind(e.points)
        .bind(&e.source)
        .bind(&e.reason)
        .bind(e.at)
        .bind(e.expires_at)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(if inserted.rows_affected() == 0 { Posted::Again } else { Posted::Written })
}

/// Every person's lock at once, in the one order every node takes them in.
async fn lock_people(c: &mut PgConnection, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> Result<()> {
    let keys: Vec<Key> = entries.iter().map(|(person, _)| Key::points(ws, *person)).collect();
    journey_lock::lock(c, &keys).await.map_err(db_err)
}

impl PostgresStore {
    /// The batch in a few statements: the balances, the sources already written, the decision
    /// in memory (`post_in_order`), the new entries. `None` (rolled back) when someone in it
    /// was merged away, or an insert met a source written meanwhile for someone else.
    async fn post_together(&self, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> Result<Option<Vec<Posted>>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        lock_people(&mut tx, ws, entries).await?;
        let Some(mut balances) = balances(&mut tx, ws, entries).await? else {
            tx.rollback().await.map_err(db_err)?;
            return Ok(None);
        };
        let written = written_sources(&mut tx, ws, entries).await?;
        let posted = post_in_order(entries, &written.iter().map(String::as_str).collect(), &mut balances);
        let new: Vec<&(PersonId, Entry)> =
            entries.iter().zip(&posted).filter(|(_, p)| **p == Posted::Written).map(|(e, _)| e).collect();
        if !insert_all(&mut tx, ws, &new).await? {
            tx.rollback().await.map_err(db_err)?;
            return Ok(None);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(Some(posted))
    }
}

/// Each person's balance: their entries and those of everyone merged into them. `None` when
/// one of them was merged away: their balance is their survivor's, which running balances
/// kept apart would count twice, so such a batch goes one entry at a time.
///
/// Statements without a join: with one, PostgreSQL's generic plan over a ledger grown since
/// it was last analyzed scanned the workspace's entries per person.
async fn balances(
    c: &mut PgConnection,
    ws: WorkspaceId,
    entries: &[(PersonId, Entry)],
) -> Result<Option<HashMap<PersonId, i64>>> {
    let mut people: Vec<Uuid> = entries.iter().map(|(p, _)| p.0).collect();
    people.sort();
    people.dedup();
    let merged_away: bool = sql("SELECT EXISTS (SELECT 1 FROM people WHERE workspace_id = $1 AND id = ANY($2)
                                 AND merged_into IS NOT NULL)")
    .bind(ws.0)
    .bind(&people)
    .fetch_one(&mut *c)
    .await
    .and_then(|r| r.try_get(0))
    .map_err(db_err)?;
    if merged_away {
        return Ok(None);
    }
    let merged = sql("SELECT id, merged_into FROM people WHERE workspace_id = $1 AND merged_into = ANY($2)")
        .bind(ws.0)
        .bind(&people)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let mut owner: HashMap<Uuid, Uuid> = people.iter().map(|p| (*p, *p)).collect();
    for r in &merged {
        owner.insert(r.try_get(0).map_err(db_err)?, r.try_get(1).map_err(db_err)?);
    }
    let held: Vec<Uuid> = owner.keys().copied().collect();
    let sums = sql("SELECT person_id, SUM(points)::BIGINT FROM points_entries
                    WHERE workspace_id = $1 AND person_id = ANY($2) GROUP BY person_id")
    .bind(ws.0)
    .bind(&held)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    let mut balances: HashMap<PersonId, i64> = HashMap::with_capacity(people.len());
    for r in &sums {
        let (person, sum): (Uuid, i64) = (r.try_get(0).map_err(db_err)?, r.try_get(1).map_err(db_err)?);
        *balances.entry(PersonId(owner[&person])).or_default() += sum;
    }
    Ok(Some(balances))
}

/// Which of the entries' sources the ledger already holds.
async fn written_sources(c: &mut PgConnection, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> Result<Vec<String>> {
    let sources: Vec<&str> = entries.iter().map(|(_, e)| e.source.as_str()).collect();
    let rows = sql("SELECT source FROM points_entries WHERE workspace_id = $1 AND source = ANY($2)")
        .bind(ws.0)
        .bind(&sources)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| r.try_get(0)).collect::<Result<_, Error>>().map_err(db_err)
}

/// Insert `new` in order. `false` when a source was written meanwhile (the unique key kept
/// one row out): the decisions made without it no longer hold.
async fn insert_all(c: &mut PgConnection, ws: WorkspaceId, new: &[&(PersonId, Entry)]) -> Result<bool> {
    if new.is_empty() {
        return Ok(true);
    }
    let inserted =
        sql("INSERT INTO points_entries (workspace_id, person_id, kind, points, source, reason, at, expires_at)
                        SELECT $1, person_id, kind, points, source, reason, at, expires_at
                        FROM UNNEST($2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                                    $7::timestamptz[], $8::timestamptz[])
                            WITH ORDINALITY AS t(person_id, kind, points, source, reason, at, expires_at, n)
                        ORDER BY n
                        ON CONFLICT DO NOTHING")
        .bind(ws.0)
        .bind(new.iter().map(|(p, _)| p.0).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, e)| e.kind.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, e)| e.points).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, e)| e.source.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, e)| e.reason.as_str()).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, e)| e.at).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, e)| e.expires_at).collect::<Vec<_>>())
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(inserted.rows_affected() == new.len() as u64)
}

/// A person's entries and those of everyone merged into them, in the order written.
pub(crate) fn ledger_of() -> String {
    format!(
        "SELECT kind, points, source, reason, at, expires_at FROM points_entries
         WHERE workspace_id = $1 AND person_id = {PERSON_AND_MERGED} ORDER BY id"
    )
}

#[async_trait::async_trait]
impl Points for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn post_points_of_many(&self, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> Result<Vec<Posted>> {
        if let Some(posted) = self.post_together(ws, entries).await? {
            return Ok(posted);
        }
        // One entry at a time, each reading the balance the one before left.
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        lock_people(&mut tx, ws, entries).await?;
        let mut out = Vec::with_capacity(entries.len());
        for (person, e) in entries {
            out.push(post(&mut tx, ws, *person, e).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_entries(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Entry>> {
        let rows = sql_owned(ledger_of()).bind(ws.0).bind(person.0).fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(entry).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_entries_of(&self, ws: WorkspaceId, people: &[PersonId]) -> Result<HashMap<PersonId, Vec<Entry>>> {
        let mut asked: Vec<Uuid> = people.iter().map(|p| p.0).collect();
        asked.sort();
        asked.dedup();
        let mut out: HashMap<PersonId, Vec<Entry>> = asked.iter().map(|p| (PersonId(*p), Vec::new())).collect();
        if asked.is_empty() {
            return Ok(out);
        }
        // Each asked person's ledger as `ledger_of` reads it, for all of them in one statement.
        let rows = sql(
            "SELECT o.asked, e.kind, e.points, e.source, e.reason, e.at, e.expires_at
             FROM UNNEST($2::uuid[]) AS o(asked)
             JOIN LATERAL (
                 SELECT id, kind, points, source, reason, at, expires_at FROM points_entries
                 WHERE workspace_id = $1
                   AND person_id = ANY(ARRAY(SELECT o.asked UNION ALL SELECT id FROM people WHERE merged_into = o.asked))
             ) AS e ON true
             ORDER BY o.asked, e.id",
        )
        .bind(ws.0)
        .bind(&asked)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        for r in &rows {
            let person = PersonId(r.try_get(0).map_err(db_err)?);
            out.entry(person).or_default().push(entry_at(r, 1).map_err(db_err)?);
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn redemption(&self, ws: WorkspaceId, key: &str) -> Result<Option<Redemption>> {
        let row = sql("SELECT kind, points, source, reason, at, expires_at, person_id, confirmed_at,
                              EXISTS (SELECT 1 FROM points_entries WHERE workspace_id = $1 AND source = 'release:' || $2)
                       FROM points_entries WHERE workspace_id = $1 AND source = 'redeem:' || $2")
        .bind(ws.0)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let read = || -> Result<Redemption, Error> {
            Ok(Redemption {
                entry: entry(&r)?,
                person: PersonId(r.try_get(6)?),
                confirmed_at: r.try_get(7)?,
                released: r.try_get(8)?,
            })
        };
        read().map(Some).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn confirm_redemption(&self, ws: WorkspaceId, key: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = sql("UPDATE points_entries SET confirmed_at = COALESCE(confirmed_at, $3)
                        WHERE workspace_id = $1 AND source = 'redeem:' || $2
                          AND NOT EXISTS (SELECT 1 FROM points_entries WHERE workspace_id = $1 AND source = 'release:' || $2)")
        .bind(ws.0)
        .bind(key)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_balances(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, i64)>> {
        let rows = sql("SELECT COALESCE(p.merged_into, e.person_id) AS root, SUM(e.points)::BIGINT
                        FROM points_entries e
                        LEFT JOIN people p ON p.workspace_id = e.workspace_id AND p.id = e.person_id
                        WHERE e.workspace_id = $1 GROUP BY root ORDER BY root")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| Ok((PersonId(r.try_get(0)?), r.try_get(1)?))).collect::<Result<_, Error>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_ledgers(&self, ws: WorkspaceId) -> Result<(i64, Vec<(PersonId, Entry)>)> {
        let rows = sql("SELECT e.kind, e.points, e.source, e.reason, e.at, e.expires_at,
                               COALESCE(p.merged_into, e.person_id), e.id
                        FROM points_entries e
                        LEFT JOIN people p ON p.workspace_id = e.workspace_id AND p.id = e.person_id
                        WHERE e.workspace_id = $1 ORDER BY e.id")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut version = 0;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            version = r.try_get(7).map_err(db_err)?;
            out.push((PersonId(r.try_get(6).map_err(db_err)?), entry(r).map_err(db_err)?));
        }
        Ok((version, out))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_version(&self, ws: WorkspaceId) -> Result<i64> {
        sql("SELECT COALESCE(MAX(id), 0)::BIGINT FROM points_entries WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_people_since(&self, ws: WorkspaceId, after: i64) -> Result<(i64, Vec<PersonId>)> {
        let rows = sql("SELECT COALESCE(p.merged_into, e.person_id), MAX(e.id)
                        FROM points_entries e
                        LEFT JOIN people p ON p.workspace_id = e.workspace_id AND p.id = e.person_id
                        WHERE e.workspace_id = $1 AND e.id > $2
                        GROUP BY 1")
        .bind(ws.0)
        .bind(after)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let (mut version, mut people) = (after, Vec::with_capacity(rows.len()));
        for r in &rows {
            people.push(PersonId(r.try_get(0).map_err(db_err)?));
            version = version.max(r.try_get(1).map_err(db_err)?);
        }
        Ok((version, people))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_cursor(&self, ws: WorkspaceId) -> Result<i64> {
        crate::cursors::read(&self.pool, crate::cursors::Table::Points, ws).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_points_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()> {
        crate::cursors::write(&self.pool, crate::cursors::Table::Points, ws, cursor).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn loyalty_program(&self, ws: WorkspaceId) -> Result<Program> {
        Ok(documents::read(&self.pool, Document::LoyaltyProgram, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_loyalty_program(&self, ws: WorkspaceId, program: &Program, at: DateTime<Utc>) -> Result<()> {
        documents::write(&self.pool, Document::LoyaltyProgram, ws, program, at).await
    }
}
