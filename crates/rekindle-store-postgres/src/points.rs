//! The points ledger and the loyalty program. Same answers as SQLite's points.rs; a write
//! first locks the person's ledger, so two nodes redeeming from one balance check it one after
//! the other, as SQLite's single writer would.

use chrono::{DateTime, Utc};
use rekindle_core::loyalty::{Entry, Kind, Posted, Program, ledger::admits};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Points, Redemption, Result};
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnection, PgRow};

use crate::documents::{self, Document};
use crate::journey_lock::{self, Key};
use crate::{PostgresStore, db_err, sql};

fn entry(r: &PgRow) -> Result<Entry, Error> {
    let kind: String = r.try_get(0)?;
    Ok(Entry {
        kind: Kind::parse(&kind).unwrap_or(Kind::Adjust),
        points: r.try_get(1)?,
        source: r.try_get(2)?,
        reason: r.try_get(3)?,
        at: r.try_get(4)?,
        expires_at: r.try_get(5)?,
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
    let balance: i64 = sql("SELECT COALESCE(SUM(points), 0)::BIGINT FROM points_entries WHERE workspace_id = $1
                            AND (person_id = $2 OR person_id IN
                                 (SELECT id FROM people WHERE workspace_id = $1 AND merged_into = $2))")
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

#[async_trait::async_trait]
impl Points for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn post_points_of_many(&self, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> Result<Vec<Posted>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // Every person's lock at once, in the one order every node takes them in.
        let keys: Vec<Key> = entries.iter().map(|(person, _)| Key::points(ws, *person)).collect();
        journey_lock::lock(&mut tx, &keys).await.map_err(db_err)?;
        let mut out = Vec::with_capacity(entries.len());
        for (person, e) in entries {
            out.push(post(&mut tx, ws, *person, e).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_entries(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Entry>> {
        let rows = sql("SELECT kind, points, source, reason, at, expires_at FROM points_entries
                        WHERE workspace_id = $1 AND (person_id = $2 OR person_id IN
                              (SELECT id FROM people WHERE workspace_id = $1 AND merged_into = $2))
                        ORDER BY id")
        .bind(ws.0)
        .bind(person.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(entry).collect::<Result<_, _>>().map_err(db_err)
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
