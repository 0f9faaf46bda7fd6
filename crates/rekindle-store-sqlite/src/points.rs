//! The points ledger and the loyalty program. SQLite has one writer: a redemption's balance
//! check and its insert run in one write transaction, which no other write interleaves.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rekindle_core::loyalty::ledger::{admits, is_credit};
use rekindle_core::loyalty::{Entry, Kind, Posted, Program};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Points, Redemption, Result};
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{ms, time};
use crate::documents::{self, Document};
use crate::{Cached, SqliteStore, db_err};

/// The rows of a person's ledger: theirs and of the people merged into them. One `IN` list,
/// not `person_id = ?2 OR person_id IN (…)`: with the `OR`, SQLite searched the person index
/// by the workspace alone and summed every entry of the store for each balance (a
/// millisecond and growing per point earned at 100,000 entries; issue 24).
const MINE: &str = "workspace_id = ?1 AND person_id IN
    (SELECT ?2 UNION ALL SELECT id FROM people WHERE workspace_id = ?1 AND merged_into = ?2)";

const COLUMNS: &str = "kind, points, source, reason, at, expires_at";

/// Who has entries after an id, read as a range of the table's own ids. The `+` keeps the
/// workspace's term from taking SQLite to the person index, where it would read every entry of
/// the workspace to find the newest.
const PEOPLE_SINCE: &str = "SELECT COALESCE(p.merged_into, e.person_id), e.id FROM points_entries e
    LEFT JOIN people p ON p.workspace_id = e.workspace_id AND p.id = e.person_id
    WHERE e.id > ?2 AND +e.workspace_id = ?1";

/// The person's ledger, in written order.
fn entries_of(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Vec<Entry>> {
    let mut stmt =
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM points_entries WHERE {MINE} ORDER BY id")).map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, person.0], entry).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

fn entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    let kind: String = r.get(0)?;
    Ok(Entry {
        kind: Kind::parse(&kind).unwrap_or(Kind::Adjust),
        points: r.get(1)?,
        source: r.get(2)?,
        reason: r.get(3)?,
        at: time(r.get(4)?),
        expires_at: r.get::<_, Option<i64>>(5)?.map(time),
    })
}

fn balance(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<i64> {
    c.cached_row(
        &format!("SELECT COALESCE(SUM(points), 0) FROM points_entries WHERE {MINE}"),
        params![ws.0, person.0],
        |r| r.get(0),
    )
    .map_err(db_err)
}

fn post(c: &Connection, ws: WorkspaceId, person: PersonId, e: &Entry) -> Result<Posted> {
    let written: bool = c
        .cached_row(
            "SELECT EXISTS (SELECT 1 FROM points_entries WHERE workspace_id = ?1 AND source = ?2)",
            params![ws.0, e.source],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    if written {
        return Ok(Posted::Again);
    }
    // A credit is written whatever the balance: the person's ledger is summed for debits only.
    if !is_credit(e.points) {
        let balance = balance(c, ws, person)?;
        if !admits(balance, e.points) {
            return Ok(Posted::Refused { balance });
        }
    }
    c.cached_execute(
        "INSERT INTO points_entries (workspace_id, person_id, kind, points, source, reason, at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![ws.0, person.0, e.kind.as_str(), e.points, e.source, e.reason, ms(e.at), e.expires_at.map(ms)],
    )
    .map_err(db_err)?;
    Ok(Posted::Written)
}

#[async_trait::async_trait]
impl Points for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn post_points_of_many(&self, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> Result<Vec<Posted>> {
        let entries = entries.to_vec();
        self.write_runs(move |tx| entries.iter().map(|(person, e)| post(tx, ws, *person, e)).collect()).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_entries(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Entry>> {
        self.read(move |c| entries_of(c, ws, person)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn redemption(&self, ws: WorkspaceId, key: &str) -> Result<Option<Redemption>> {
        let key = key.to_owned();
        self.read(move |c| {
            c.cached_row(
                &format!(
                    "SELECT {COLUMNS}, person_id, confirmed_at,
                        EXISTS (SELECT 1 FROM points_entries WHERE workspace_id = ?1 AND source = 'release:' || ?2)
                     FROM points_entries WHERE workspace_id = ?1 AND source = 'redeem:' || ?2"
                ),
                params![ws.0, key],
                |r| {
                    Ok(Redemption {
                        entry: entry(r)?,
                        person: PersonId(r.get(6)?),
                        confirmed_at: r.get::<_, Option<i64>>(7)?.map(time),
                        released: r.get(8)?,
                    })
                },
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn confirm_redemption(&self, ws: WorkspaceId, key: &str, at: DateTime<Utc>) -> Result<bool> {
        let key = key.to_owned();
        self.write_runs(move |tx| {
            let n = tx
                .cached_execute(
                    "UPDATE points_entries SET confirmed_at = COALESCE(confirmed_at, ?3)
                     WHERE workspace_id = ?1 AND source = 'redeem:' || ?2
                       AND NOT EXISTS (SELECT 1 FROM points_entries WHERE workspace_id = ?1 AND source = 'release:' || ?2)",
                    params![ws.0, key, ms(at)],
                )
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_balances(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, i64)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT COALESCE(p.merged_into, e.person_id) AS root, SUM(e.points)
                     FROM points_entries e
                     LEFT JOIN people p ON p.workspace_id = e.workspace_id AND p.id = e.person_id
                     WHERE e.workspace_id = ?1 GROUP BY root ORDER BY root",
                )
                .map_err(db_err)?;
            let rows = stmt.query_map([ws.0], |r| Ok((PersonId(r.get(0)?), r.get(1)?))).map_err(db_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_ledgers(&self, ws: WorkspaceId) -> Result<(i64, Vec<(PersonId, Entry)>)> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS}, COALESCE(p.merged_into, e.person_id), e.id FROM points_entries e
                     LEFT JOIN people p ON p.workspace_id = e.workspace_id AND p.id = e.person_id
                     WHERE e.workspace_id = ?1 ORDER BY e.id"
                ))
                .map_err(db_err)?;
            let mut version = 0;
            let rows = stmt
                .query_map([ws.0], |r| {
                    version = r.get(7)?;
                    Ok((PersonId(r.get(6)?), entry(r)?))
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)?;
            Ok((version, rows))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_version(&self, ws: WorkspaceId) -> Result<i64> {
        self.read(move |c| {
            c.cached_row("SELECT COALESCE(MAX(id), 0) FROM points_entries WHERE workspace_id = ?1", [ws.0], |r| {
                r.get(0)
            })
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_people_since(&self, ws: WorkspaceId, after: i64) -> Result<(i64, Vec<PersonId>)> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(PEOPLE_SINCE).map_err(db_err)?;
            let (mut version, mut people) = (after, std::collections::HashSet::new());
            let mut rows = stmt.query(params![ws.0, after]).map_err(db_err)?;
            while let Some(r) = rows.next().map_err(db_err)? {
                people.insert(PersonId(r.get(0).map_err(db_err)?));
                version = version.max(r.get(1).map_err(db_err)?);
            }
            Ok((version, people.into_iter().collect()))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_entries_of(&self, ws: WorkspaceId, people: &[PersonId]) -> Result<HashMap<PersonId, Vec<Entry>>> {
        // One read for all of them, not one on the blocking pool each.
        let people = people.to_vec();
        self.read(move |c| {
            let mut out = HashMap::with_capacity(people.len());
            for p in people {
                if let std::collections::hash_map::Entry::Vacant(v) = out.entry(p) {
                    v.insert(entries_of(c, ws, p)?);
                }
            }
            Ok(out)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn points_cursor(&self, ws: WorkspaceId) -> Result<i64> {
        self.read(move |c| crate::cursors::read(c, "points_cursors", ws)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_points_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()> {
        self.write_runs(move |tx| crate::cursors::write(tx, "points_cursors", ws, cursor)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn loyalty_program(&self, ws: WorkspaceId) -> Result<Program> {
        Ok(documents::read(self, Document::LoyaltyProgram, ws).await?.unwrap_or_default())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_loyalty_program(&self, ws: WorkspaceId, program: &Program, at: DateTime<Utc>) -> Result<()> {
        documents::write(self, Document::LoyaltyProgram, ws, program, at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_balance_is_read_by_the_person_s_index() {
        let (store, _dir) = crate::temp_store().await;
        let sql = format!("SELECT COALESCE(SUM(points), 0) FROM points_entries WHERE {MINE}");
        let plan = store.read(move |c| crate::query_plan(c, &sql, params![1, PersonId::new_v7().0])).await.unwrap();
        assert!(plan.contains("points_entries_person (workspace_id=? AND person_id=?)"), "{plan}");
    }

    #[tokio::test]
    async fn who_has_entries_after_an_id_is_read_by_the_ids() {
        let (store, _dir) = crate::temp_store().await;
        let plan = store.read(|c| crate::query_plan(c, PEOPLE_SINCE, params![1, 0])).await.unwrap();
        assert!(plan.contains("SEARCH e USING INTEGER PRIMARY KEY (rowid>?)"), "{plan}");
    }
}
