//! The store's two files (the inbox, `inbox.db`, is a third, of its own). SQLite lets one
//! connection write a file at a time, and the journey runner's writes (entries, steps, the
//! outbox, its cursors) and the points ledger queued on that one writer behind ingestion's
//! appends, WAL restarts and refresh writes: the slowest journey messages beside ingestion at
//! 10,000 events/s were waits for it (issue 24, docs/benchmarks.md). So those tables live in
//! `runs.db`, attached to every connection as `runs`, with a writer of its own; every query
//! names them as before, and reads join across the files unchanged.
//!
//! A write says which files it writes ([`Files`]), and takes those files' writers; the
//! transaction is checked before its commit to have written no other file ([`check_written`]).
//! A read that spans both files sees each as of its first read of that file, not one instant.

use std::path::{Path, PathBuf};

use rekindle_store::{Result, StoreError};
use rusqlite::{Connection, TransactionState};

/// File name of the runner's and the ledger's tables inside the data dir.
pub const RUNS_FILE: &str = "runs.db";
/// The schema name `runs.db` is attached as.
pub(crate) const RUNS: &str = "runs";

/// The tables in `runs.db`. Only writes of [`Files::Runs`] or [`Files::Both`] may write them,
/// and a write of [`Files::Runs`] writes nothing else. The cursors came later (runs 0002):
/// moving one through `rekindle.db`'s writer held the runner's next pass behind an append.
pub(crate) const RUNS_TABLES: [&str; 8] = [
    "enrollments",
    "journey_steps",
    "journey_entry_refusals",
    "outbox",
    "points_entries",
    "journey_cursors",
    "journey_change_cursors",
    "points_cursors",
];

/// Which files a write writes, and so whose writers it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Files {
    /// `rekindle.db`: everything but [`RUNS_TABLES`].
    Main,
    /// `runs.db`.
    Runs,
    /// Both, taking `rekindle.db`'s writer first (always in that order: no two writes can
    /// each hold the writer the other waits for). Only erasure needs it.
    Both,
}

impl Files {
    pub(crate) fn main(self) -> bool {
        matches!(self, Files::Main | Files::Both)
    }

    pub(crate) fn runs(self) -> bool {
        matches!(self, Files::Runs | Files::Both)
    }

    /// The files' names, as `/metrics` labels them.
    pub(crate) fn names(self) -> impl Iterator<Item = &'static str> {
        [(self.main(), crate::DB_FILE), (self.runs(), RUNS_FILE)].into_iter().filter(|(is, _)| *is).map(|(_, n)| n)
    }
}

/// `runs.db` beside the store's file at `main`.
pub(crate) fn runs_path(main: &Path) -> PathBuf {
    main.with_file_name(RUNS_FILE)
}

/// A connection to the store: `rekindle.db` with `runs.db` attached, each with the same
/// settings ([`crate::connect`]); SQLite keeps durability and the page cache per file.
pub(crate) fn connect_store(main: &Path) -> rusqlite::Result<Connection> {
    let conn = crate::connect(main)?;
    conn.execute(&format!("ATTACH DATABASE ?1 AS {RUNS}"), [runs_path(main).to_string_lossy()])?;
    conn.execute_batch(&format!(
        "PRAGMA {RUNS}.journal_mode = WAL;
         PRAGMA {RUNS}.synchronous = FULL;
         PRAGMA {RUNS}.cache_size = -{};",
        crate::CACHE_KIB
    ))?;
    Ok(conn)
}

/// Take the write locks of `files` first thing in a transaction, as `BEGIN IMMEDIATE` does for
/// every attached file: a statement that writes nothing but opens a write transaction there.
/// Taken later, at the transaction's first write after a read, a lock another process took
/// meanwhile (`rekindle users`, `rekindle import` beside the server) fails the write at once
/// (`SQLITE_BUSY_SNAPSHOT`) instead of waiting for it.
pub(crate) fn lock(conn: &Connection, files: Files) -> rusqlite::Result<()> {
    if files.main() {
        conn.prepare_cached("DELETE FROM main.workspaces WHERE 0")?.execute([])?;
    }
    if files.runs() {
        conn.prepare_cached(&format!("DELETE FROM {RUNS}.journey_steps WHERE 0"))?.execute([])?;
    }
    Ok(())
}

/// Error unless the transaction on `conn` wrote only `files`: a table moved to the other file
/// and a write that forgot it, or a new write that needs both, meet here in every test rather
/// than as waits on the other writer's lock, and a commit nobody syncs, in production.
pub(crate) fn check_written(conn: &Connection, files: Files, what: &str) -> Result<()> {
    let wrote = |schema: &str| -> Result<bool> {
        Ok(conn.transaction_state(Some(schema)).map_err(crate::db_err)? == TransactionState::Write)
    };
    let stray = match (wrote("main")? && !files.main(), wrote(RUNS)? && !files.runs()) {
        (true, _) => crate::DB_FILE,
        (_, true) => RUNS_FILE,
        _ => return Ok(()),
    };
    Err(StoreError::backend(std::io::Error::other(format!("{what} wrote {stray}, which it did not say it writes"))))
}

/// Move [`RUNS_TABLES`] from `rekindle.db`, where the store's migrations make them, into
/// `runs.db` (made by its own migrations): copied in one transaction of `runs.db`'s, then
/// dropped from `rekindle.db` in another. Not one transaction over both files: SQLite's commit
/// over two files in WAL mode is atomic per file only, and could drop before it copied. Safe
/// to stop anywhere: a table still in `rekindle.db` is copied again only if its copy is empty
/// (the copy committed whole or not at all, and nothing else writes there before this ends).
pub(crate) fn move_into_runs(conn: &mut Connection) -> rusqlite::Result<()> {
    for table in RUNS_TABLES {
        let in_main: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?1)",
            [table],
            |r| r.get(0),
        )?;
        if !in_main {
            continue;
        }
        let tx = conn.transaction()?;
        let copied: bool = tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {RUNS}.{table})"), [], |r| r.get(0))?;
        let mut rows = 0;
        if !copied {
            let columns = tx
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}', '{RUNS}')"))?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .join(", ");
            rows =
                tx.execute(&format!("INSERT INTO {RUNS}.{table} ({columns}) SELECT {columns} FROM main.{table}"), [])?;
        }
        tx.commit()?;
        conn.execute_batch(&format!("DROP TABLE main.{table}"))?;
        if rows > 0 {
            tracing::info!(table, rows, "moved into {RUNS_FILE}");
        }
    }
    Ok(())
}

/// Bring the cursors in `runs.db` back to what `rekindle.db` holds. `runs.db` can be ahead of
/// it: a backup copies `rekindle.db` first and `runs.db` after, while the runner goes on; and
/// after a power cut `rekindle.db` can lose its last unsynced appends (the inbox applies them
/// again) while `runs.db` kept the cursor past them. SQLite gives the next events the ids
/// after the highest left, and a cursor past them would skip those events. From the end of
/// what is there, the runner and the ledger redo nothing twice: each entry, message and
/// ledger entry is made once per trigger, send key and source.
pub(crate) fn clamp_cursors(conn: &Connection) -> rusqlite::Result<()> {
    let end: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM main.events", [], |r| r.get(0))?;
    for table in ["journey_cursors", "points_cursors"] {
        conn.execute(&format!("UPDATE {RUNS}.{table} SET cursor = ?1 WHERE cursor > ?1"), [end])?;
    }
    conn.execute_batch(&format!(
        "UPDATE {RUNS}.journey_change_cursors SET
           membership = MIN(membership, (SELECT COALESCE(MAX(id), 0) FROM main.segment_changes)),
           stages = MIN(stages, (SELECT COALESCE(MAX(id), 0) FROM main.stage_changes))"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate;

    /// (column, type, not null, default, pk) of every column, and each index's SQL, of `table`
    /// in `schema`.
    fn shape(c: &Connection, schema: &str, table: &str) -> (Vec<String>, Vec<String>) {
        let columns = c
            .prepare(&format!(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}', '{schema}')"
            ))
            .unwrap()
            .query_map([], |r| {
                Ok(format!(
                    "{} {} {} {:?} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?
                ))
            })
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        let mut indexes = c
            .prepare(&format!(
                "SELECT sql FROM {schema}.sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL"
            ))
            .unwrap()
            .query_map([table], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        indexes.sort();
        (columns, indexes)
    }

    /// `runs.db`'s migrations make the tables exactly as the store's made them in
    /// `rekindle.db`, but for the foreign keys.
    #[test]
    fn the_runs_file_holds_the_tables_the_store_migrations_made() {
        let mut store = Connection::open_in_memory().unwrap();
        migrate::run(&mut store, migrate::STORE).unwrap();
        let mut runs = Connection::open_in_memory().unwrap();
        migrate::run(&mut runs, migrate::RUNS).unwrap();
        for table in RUNS_TABLES {
            assert_eq!(shape(&runs, "main", table), shape(&store, "main", table), "{table}");
            let fks: i64 = runs
                .query_row(&format!("SELECT count(*) FROM pragma_foreign_key_list('{table}')"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(fks, 0, "{table}: no key can point at another file");
        }
        let tables: i64 =
            runs.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, RUNS_TABLES.len() as i64);
    }

    /// `rekindle.db` in `dir` made by the store's migrations alone, then `sql` run on it: a
    /// data dir as an earlier build left it. Its path.
    fn old_store(dir: &Path, sql: &str) -> PathBuf {
        let main = dir.join(crate::DB_FILE);
        let mut old = crate::connect(&main).unwrap();
        migrate::run(&mut old, migrate::STORE).unwrap();
        old.execute_batch(sql).unwrap();
        main
    }

    /// A data dir from before the split: its rows move into `runs.db`, and a move stopped
    /// after its copy committed is finished without copying twice.
    #[test]
    fn rows_move_into_the_runs_file_once_even_when_a_move_stopped_halfway() {
        let dir = tempfile::tempdir().unwrap();
        let main = old_store(
            dir.path(),
            "INSERT INTO journey_steps VALUES (1, 1, 1, 'a', NULL, 'entered', NULL, 10), (1, 1, 1, 'a', NULL, 'entered', NULL, 10);
             INSERT INTO points_entries (workspace_id, person_id, kind, points, source, reason, at)
               VALUES (1, x'00', 'earn', 5, 'order:1', 'order', 10);",
        );
        migrate::run(&mut crate::connect(&runs_path(&main)).unwrap(), migrate::RUNS).unwrap();
        let mut conn = connect_store(&main).unwrap();
        // Stopped after the ledger's copy committed, before its drop.
        conn.execute_batch("INSERT INTO runs.points_entries SELECT * FROM main.points_entries").unwrap();
        move_into_runs(&mut conn).unwrap();
        move_into_runs(&mut conn).unwrap();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT count(*) FROM runs.journey_steps"), 2, "both steps, each once");
        assert_eq!(count("SELECT count(*) FROM runs.points_entries"), 1);
        assert_eq!(
            count(
                "SELECT count(*) FROM main.sqlite_master WHERE name IN ('journey_steps', 'points_entries', 'outbox')"
            ),
            0
        );
        assert_eq!(
            count("SELECT points FROM points_entries WHERE source = 'order:1'"),
            5,
            "found without the schema's name"
        );
    }

    /// A data dir split before the cursors moved (`runs.db` at its migration 0001): its next
    /// start moves them, their positions kept.
    #[test]
    fn the_cursors_move_into_a_runs_file_made_before_them() {
        let dir = tempfile::tempdir().unwrap();
        // As the build before left it: its five tables moved, the cursors not.
        let moved: String = RUNS_TABLES[..5].iter().map(|t| format!("DROP TABLE {t};")).collect();
        let main = old_store(
            dir.path(),
            &format!(
                "INSERT INTO journey_cursors VALUES (1, 42);
                 INSERT INTO journey_change_cursors VALUES (1, 3, 4);
                 INSERT INTO points_cursors VALUES (1, 7);
                 {moved}"
            ),
        );
        let runs = runs_path(&main);
        migrate::run(&mut crate::connect(&runs).unwrap(), &migrate::RUNS[..1]).unwrap();

        // This build's start: runs.db's migrations, then the move.
        migrate::run(&mut crate::connect(&runs).unwrap(), migrate::RUNS).unwrap();
        let mut conn = connect_store(&main).unwrap();
        move_into_runs(&mut conn).unwrap();
        let count = |c: &Connection, sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count(&conn, "SELECT cursor FROM runs.journey_cursors WHERE workspace_id = 1"), 42);
        assert_eq!(count(&conn, "SELECT membership * 10 + stages FROM runs.journey_change_cursors"), 34);
        assert_eq!(count(&conn, "SELECT cursor FROM runs.points_cursors"), 7);
        let left = "SELECT count(*) FROM main.sqlite_master
                    WHERE name IN ('journey_cursors', 'journey_change_cursors', 'points_cursors')";
        assert_eq!(count(&conn, left), 0);
    }

    /// Cursors in `runs.db` past what `rekindle.db` holds (a backup's `runs.db` copied after
    /// the runner went on) come back to its end; cursors within it stay where they are.
    #[test]
    fn cursors_past_the_log_come_back_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let conn = split_store(dir.path());
        conn.execute_batch(
            "INSERT INTO events (id, workspace_id, person_id, message_id, message_key, kind, timestamp, received_at, payload)
               VALUES (7, 1, x'00', 'm7', 7, 'track', 0, 0, '{}');
             INSERT INTO journey_cursors VALUES (1, 50);
             INSERT INTO points_cursors VALUES (1, 5);
             INSERT INTO journey_change_cursors VALUES (1, 9, 0);",
        )
        .unwrap();
        clamp_cursors(&conn).unwrap();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT cursor FROM journey_cursors"), 7, "past the log: back to its end");
        assert_eq!(count("SELECT cursor FROM points_cursors"), 5, "within the log: where it was");
        assert_eq!(count("SELECT membership * 10 + stages FROM journey_change_cursors"), 0, "no changes recorded");
    }

    /// A store connection in `dir` whose `runs.db` has its tables and `rekindle.db` none yet.
    fn runs_made(dir: &Path) -> Connection {
        let main = dir.join(crate::DB_FILE);
        migrate::run(&mut crate::connect(&runs_path(&main)).unwrap(), migrate::RUNS).unwrap();
        connect_store(&main).unwrap()
    }

    /// A store connection in `dir` as this build opens one: both files' migrations run and the
    /// tables moved.
    fn split_store(dir: &Path) -> Connection {
        let mut conn = runs_made(dir);
        migrate::run(&mut conn, migrate::STORE).unwrap();
        move_into_runs(&mut conn).unwrap();
        conn
    }

    /// A transaction's write locks are its files' from its start, and only theirs.
    #[test]
    fn a_write_locks_its_files_first_thing() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = split_store(dir.path());
        for (files, main_state, runs_state) in [
            (Files::Main, TransactionState::Write, TransactionState::None),
            (Files::Runs, TransactionState::None, TransactionState::Write),
            (Files::Both, TransactionState::Write, TransactionState::Write),
        ] {
            let tx = conn.transaction().unwrap();
            lock(&tx, files).unwrap();
            assert_eq!(tx.transaction_state(Some("main")).unwrap(), main_state, "{files:?}");
            assert_eq!(tx.transaction_state(Some(RUNS)).unwrap(), runs_state, "{files:?}");
            assert!(check_written(&tx, files, "test").is_ok());
        }
    }

    /// A transaction that writes a file it did not say it writes is refused before it commits.
    #[test]
    fn a_write_to_a_file_not_named_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = runs_made(dir.path());
        conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert!(check_written(&tx, Files::Main, "test").is_ok());
        let refused = check_written(&tx, Files::Runs, "test").unwrap_err().to_string();
        assert!(refused.contains("rekindle.db"), "{refused}");
        tx.execute("DELETE FROM journey_steps", []).unwrap();
        assert!(check_written(&tx, Files::Main, "test").unwrap_err().to_string().contains(RUNS_FILE));
        assert!(check_written(&tx, Files::Both, "test").is_ok());
    }
}
