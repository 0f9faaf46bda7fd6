//! The embedded store: SQLite database files in WAL mode under `--data-dir`: `rekindle.db`,
//! and `runs.db` for the journey runner's tables and the points ledger ([`files`]).
//!
//! rusqlite rather than sqlx here: ingestion runs a handful of statements per message inside
//! one transaction, and sqlx's SQLite driver sends every statement through a channel to its
//! worker thread, which costs more than the statement itself. Each file's one writer
//! connection runs on the blocking pool; readers have their own connections, which WAL lets
//! run beside them.

mod accounts;
mod append;
pub mod backup;
mod catalogue;
mod change_feed;
mod channel_codes;
mod channel_settings;
mod checkpoint;
mod codec;
mod consent;
mod coupons;
mod cursors;
mod documents;
mod enrollment_ids;
mod enrollments;
mod erasure;
mod event_log;
mod files;
mod group_posts;
mod inbox;
mod invitations;
mod journeys;
mod launch;
mod leadership;
mod migrate;
mod named;
mod outbox;
mod people;
mod points;
mod predictions;
mod programme;
mod readouts;
mod referrals;
mod segments;
mod service;
mod stages;
mod subscriptions;
mod tags;
mod targets;
mod templates;
mod tracked_links;
mod turns;
mod winners;
mod workspaces;
mod writer;
mod writer_metrics;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use files::Files;
pub use files::RUNS_FILE;
pub use inbox::{INBOX_FILE, SqliteInbox};
use rekindle_store::urgency::Urgency;
use rekindle_store::{Backend, Inbox, Result, StoreError};
use rusqlite::Connection;

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "rekindle.db";
const READERS: usize = 4;
/// Page cache of every connection but the writer, in KiB.
const CACHE_KIB: i64 = 64 * 1024;
/// The writer's page cache, in KiB: a quarter of the readers'. At the end of every write
/// transaction SQLite drops the cached pages past the end of the database, and a B-tree split
/// that puts its new pages in order (`balance_nonroot`) renumbers one through the lock-byte
/// page's number (262,145 with 4 KiB pages), past the end of any database under 1 GiB: the
/// drop then walks the writer's whole cache, commit after commit. With 64 MiB that walk was
/// 6 % of the process's CPU under ingestion at 10,000 events/s, held inside the writer; the
/// pages a smaller cache misses are read back from the OS's cache (issue 24). Bulk appends
/// commit seldom and touch many pages: they get the readers' size ([`Inner::size_cache_for`]).
const WRITER_CACHE_KIB: i64 = 16 * 1024;
/// Messages in an append from which the writer's cache is the readers' size: a backlog or an
/// import, where misses cost more than the walk (1,000,000 events through `rekindle bench
/// ingest` were ~6 % slower with the small cache).
const BULK_APPEND: usize = 5000;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    path: PathBuf,
    /// `rekindle.db`'s writer and `runs.db`'s, taken in [`Inner::with_writer`].
    main: writer::Writer,
    runs: writer::Writer,
    writer_metrics: writer_metrics::WriterMetrics,
    readers: Mutex<Vec<Connection>>,
    inbox: Arc<SqliteInbox>,
    enrollment_ids: enrollment_ids::EnrollmentIds,
    first_steps: enrollments::FirstSteps,
    /// The writer's cache is the readers' size, for bulk appends ([`Inner::size_cache_for`]).
    bulk_cache: std::sync::atomic::AtomicBool,
}

impl SqliteStore {
    /// Open (creating if needed) the store in `data_dir` and bring its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        let data_dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&data_dir, true)).await.map_err(StoreError::backend)?
    }

    /// Without `checkpoints`, nothing copies the WAL into the database file: for the tests
    /// that checkpoint by hand, which a checkpoint of the thread's would make give up.
    fn open_blocking(data_dir: &Path, checkpoints: bool) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(StoreError::backend)?;
        let path = data_dir.join(DB_FILE);
        let runs_path = files::runs_path(&path);
        migrate::run(&mut connect(&runs_path).map_err(db_err)?, migrate::RUNS).map_err(db_err)?;
        let mut main = files::connect_store(&path).map_err(db_err)?;
        migrate::run(&mut main, migrate::STORE).map_err(db_err)?;
        files::move_into_runs(&mut main).map_err(db_err)?;
        files::clamp_cursors(&main).map_err(db_err)?;
        let main = writer_connection(main)?;
        let runs = writer_connection(files::connect_store(&path).map_err(db_err)?)?;
        tracing::info!(path = %path.display(), "sqlite store open");
        let inbox = Arc::new(SqliteInbox::open_blocking(data_dir)?);
        let inner = Arc::new(Inner {
            path: path.clone(),
            main: writer::Writer::new(&path, main),
            runs: writer::Writer::new(&runs_path, runs),
            writer_metrics: Default::default(),
            readers: Mutex::new(Vec::new()),
            inbox,
            enrollment_ids: Default::default(),
            first_steps: Default::default(),
            bulk_cache: Default::default(),
        });
        if checkpoints {
            checkpoint::spawn(path, Files::Main, Arc::downgrade(&inner));
            checkpoint::spawn(runs_path, Files::Runs, Arc::downgrade(&inner));
        }
        Ok(Self { inner })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Run `f` in a write transaction of `rekindle.db` on the blocking pool; commit when it
    /// returns `Ok`. The commit is on disk before this returns, unless the write is derived
    /// (rekindle_store::durability).
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.write_files(Files::Main, f, |out| out).await
    }

    /// [`Self::write`] for `runs.db` ([`files::RUNS_TABLES`]).
    async fn write_runs<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.write_files(Files::Runs, f, |out| out).await
    }

    /// [`Self::write`] for both files, waiting for both writers.
    async fn write_both<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.write_files(Files::Both, f, |out| out).await
    }

    /// [`Self::write`], then `then` on what it gave, on the same blocking thread once the
    /// writer is let go: work that needs the commit but not the writer stays off the async
    /// threads without another hop.
    async fn write_then<T, U, F, G>(&self, f: F, then: G) -> Result<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
        G: FnOnce(T) -> U + Send + 'static,
    {
        self.write_files(Files::Main, f, then).await
    }

    /// A write transaction of `files`, holding their writers, then `then` without them. It
    /// locks only its files ([`files::lock`]): `BEGIN IMMEDIATE` takes the write lock of every
    /// attached file, the other writer's too.
    async fn write_files<T, U, F, G>(&self, files: Files, f: F, then: G) -> Result<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
        G: FnOnce(T) -> U + Send + 'static,
    {
        let inner = self.inner.clone();
        let derived = rekindle_store::durability::is_derived();
        let urgency = rekindle_store::urgency::current();
        tokio::task::spawn_blocking(move || {
            let (written, time) = inner.with_writer(files, urgency, |conn| {
                let tx = conn.transaction().map_err(db_err)?;
                files::lock(&tx, files).map_err(db_err)?;
                let out = f(&tx)?;
                files::check_written(&tx, files, write_name::<F>())?;
                let committing = std::time::Instant::now();
                tx.commit().map_err(db_err)?;
                let (first, second) = inner.writers(files);
                let commits: Vec<_> = std::iter::once(first).chain(second).map(|w| (w, w.count_commit())).collect();
                Ok((out, committing.elapsed(), commits))
            });
            let (out, committed, commits) = written?;
            slow_write::<F>(files, time.waited, time.held.saturating_sub(committed), committed);
            if !derived {
                for (writer, commit) in commits {
                    writer.durable(commit)?;
                }
            }
            Ok(then(out))
        })
        .await
        .map_err(StoreError::backend)?
    }

    /// Run `f` on a reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        // A background thread reads in line, at its own priority (rekindle_store::background).
        if rekindle_store::background::on_this_thread() {
            return inner.read_now(f);
        }
        tokio::task::spawn_blocking(move || inner.read_now(f)).await.map_err(StoreError::backend)?
    }
}

impl Inner {
    /// Size the writer's page cache for an append of `messages`, inside its transaction: the
    /// readers' size from [`BULK_APPEND`] on, the writer's own below. It stays so until an
    /// append of the other kind, so steady traffic of either kind keeps its cache warm.
    pub(crate) fn size_cache_for(&self, tx: &Connection, messages: usize) -> Result<()> {
        let bulk = messages >= BULK_APPEND;
        if self.bulk_cache.load(Ordering::Relaxed) != bulk {
            let kib = if bulk { CACHE_KIB } else { WRITER_CACHE_KIB };
            tx.pragma_update(None, "cache_size", -kib).map_err(db_err)?;
            self.bulk_cache.store(bulk, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Run `f` on a reader connection here, blocking the calling thread.
    fn read_now<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => files::connect_store(&self.path).map_err(StoreError::backend)?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < READERS {
            pool.push(conn);
        }
        out
    }

    /// Run `f` holding the writers of `files`, once it is this urgency's turn at each
    /// ([`turns`]), on the first one's connection: an unfair unlock let the applier, back for
    /// its next batch within microseconds, take the writer again and again while a journey
    /// entry's write waited, and a fair one made that write wait for everything that asked
    /// before it (issue 24). Also says how long it waited and held them (counted on `/metrics`
    /// too).
    pub(crate) fn with_writer<T>(
        &self,
        files: Files,
        urgency: Urgency,
        f: impl FnOnce(&mut Connection) -> T,
    ) -> (T, WriterTime) {
        let asked = std::time::Instant::now();
        let (first, second) = self.writers(files);
        // In the order of `writers`, always: see `Files::Both`.
        let _turns = (first.turns.take(urgency), second.map(|w| w.turns.take(urgency)));
        let got = std::time::Instant::now();
        let out = f(&mut first.conn.lock());
        let time = WriterTime { waited: got - asked, held: got.elapsed() };
        for file in files.names() {
            self.writer_metrics.observe(file, urgency, time.waited, time.held);
        }
        (out, time)
    }

    /// The writers of `files`, `rekindle.db`'s first.
    fn writers(&self, files: Files) -> (&writer::Writer, Option<&writer::Writer>) {
        match files {
            Files::Main => (&self.main, None),
            Files::Runs => (&self.runs, None),
            Files::Both => (&self.main, Some(&self.runs)),
        }
    }
}

/// A writer's connection: commits do not wait for the disk while they hold the writer (a
/// write that must be durable waits afterwards, [`writer::Writer::durable`]), the checkpoint
/// thread copies the WAL back instead of the commit that crosses a threshold
/// (checkpoint.rs), and the page cache is the writer's size ([`WRITER_CACHE_KIB`]), in both
/// files: either writer may write the other's file ([`Files::Both`]).
fn writer_connection(conn: Connection) -> Result<Connection> {
    conn.execute_batch(&format!(
        "PRAGMA wal_autocheckpoint = 0;
         PRAGMA main.synchronous = NORMAL;
         PRAGMA {runs}.synchronous = NORMAL;
         PRAGMA main.cache_size = -{WRITER_CACHE_KIB};
         PRAGMA {runs}.cache_size = -{WRITER_CACHE_KIB};",
        runs = files::RUNS
    ))
    .map_err(db_err)?;
    Ok(conn)
}

/// How long a write waited for SQLite's one writer, and then held it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriterTime {
    waited: std::time::Duration,
    held: std::time::Duration,
}

/// The store method that wrote, named by its closure's type.
fn write_name<F>() -> &'static str {
    std::any::type_name::<F>().trim_end_matches("::{{closure}}").trim_start_matches("rekindle_store_sqlite::")
}

/// Writes that waited long for the writer or held it long, at debug level: what an event's
/// transactions queue behind.
fn slow_write<F>(files: Files, waited: std::time::Duration, ran: std::time::Duration, committed: std::time::Duration) {
    const SLOW: std::time::Duration = std::time::Duration::from_millis(5);
    if waited >= SLOW || ran + committed >= SLOW {
        tracing::debug!(
            what = write_name::<F>(),
            ?files,
            waited_ms = waited.as_secs_f64() * 1e3,
            ran_ms = ran.as_secs_f64() * 1e3,
            commit_ms = committed.as_secs_f64() * 1e3,
            "slow sqlite write"
        );
    }
}

/// The write-ahead log beside the database file at `path`.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

pub(crate) fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // FULL: a commit is on disk before it returns, so an acknowledged event survives a power
    // cut, not only a crash. Derived writes relax it per transaction (`write`).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA temp_store = MEMORY;",
    )?;
    // Plans that do not depend on bound values. Without it a statement whose plan SQLite
    // could tune to a value (an `ORDER BY` served by an index, `LIMIT ?`, `?3 IS NULL OR …`)
    // is marked to be prepared again whenever a binding is cleared, which the statement cache
    // does on every use: the runner's and the tail's reads, a person's identities, each
    // journey version were parsed afresh every time, 5–8 % of the process's CPU in `rekindle
    // bench journeys` (issue 24). The store runs no ANALYZE, so no plan here needs a value.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Negative: in KiB rather than pages.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    // Room for every statement of the hot paths (ingest, enrollments, the outbox): the
    // default 16 would evict and parse them again.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// Statements through the connection's statement cache. `Connection::query_row` and
/// `execute` parse the SQL on every call, which on the event path costs more than running it.
pub(crate) trait Cached {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl Cached for Connection {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

/// A fresh store in a temporary directory, which lives as long as the second value.
#[cfg(test)]
pub(crate) async fn temp_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open(dir.path()).await.unwrap(), dir)
}

/// [`temp_store`] without the checkpoint thread: SQLite lets one checkpoint run at a time, and
/// one of the thread's at the wrong moment made a test's own give up (seen under load).
#[cfg(test)]
pub(crate) fn temp_store_without_checkpoints() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteStore::open_blocking(dir.path(), false).unwrap(), dir)
}

/// What SQLite plans for `sql`: the details of `EXPLAIN QUERY PLAN`, joined. For tests that
/// keep a hot query on its index.
#[cfg(test)]
pub(crate) fn query_plan(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<String> {
    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).map_err(db_err)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(3)).map_err(db_err)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)?.join("; "))
}

#[async_trait::async_trait]
impl Backend for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> Result<()> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db_err)).await
    }

    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        self.inner.writer_metrics.register(registry);
    }

    fn inbox(&self) -> Option<Arc<dyn Inbox>> {
        Some(self.inner.inbox.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hot statement from the statement cache is run as prepared, whatever is bound to it
    /// (`connect` turns on SQLite's query planner stability guarantee).
    #[tokio::test]
    async fn a_cached_statement_is_not_prepared_again_for_new_values() {
        let (store, _dir) = temp_store().await;
        let reprepared = |c: &Connection| {
            // An index can serve the ORDER BY and the LIMIT is bound: without the guarantee
            // SQLite prepares this again after each use, for the next values.
            let sql = "SELECT kind, value FROM identities WHERE person_id = ?1 ORDER BY linked_at, kind LIMIT ?2";
            for (person, limit) in [("a", 5), ("b", 7), ("c", 9)] {
                let mut s = c.prepare_cached(sql).map_err(db_err)?;
                s.query_map(rusqlite::params![person, limit], |_| Ok(())).map_err(db_err)?.for_each(drop);
            }
            let s = c.prepare_cached(sql).map_err(db_err)?;
            Ok(s.get_status(rusqlite::StatementStatus::RePrepare))
        };
        assert_eq!(store.read(reprepared).await.unwrap(), 0, "a reader");
        assert_eq!(store.write(move |tx| reprepared(tx)).await.unwrap(), 0, "the writer");
    }

    async fn synchronous(store: &SqliteStore) -> i64 {
        store.write(|tx| tx.query_row("PRAGMA synchronous", [], |r| r.get(0)).map_err(db_err)).await.unwrap()
    }

    /// (Commits made, commits known on disk) of `rekindle.db`.
    fn synced(store: &SqliteStore) -> (u64, u64) {
        store.inner.main.synced()
    }

    /// Every commit is made without waiting for the disk (NORMAL, 1) while it holds the
    /// writer; a write that is not derived (rekindle_store::durability) then waits until the
    /// log is synced past it, and so makes the derived commits before it durable too.
    #[tokio::test]
    async fn only_derived_writes_skip_the_wait_for_the_disk() {
        let (store, _dir) = crate::temp_store().await;
        assert_eq!(synchronous(&store).await, 1);
        let (committed, on_disk) = synced(&store);
        assert_eq!(on_disk, committed, "a durable write returns once it is on disk");
        assert_eq!(rekindle_store::durability::derived(synchronous(&store)).await, 1);
        assert_eq!(synced(&store), (committed + 1, committed), "a derived one does not wait");
        assert_eq!(synchronous(&store).await, 1);
        assert_eq!(synced(&store), (committed + 2, committed + 2), "the next durable one covers it");
        rekindle_store::durability::derived(synchronous(&store)).await;
        rekindle_store::EventLog::sync(&store).await.unwrap();
        assert_eq!(synced(&store), (committed + 3, committed + 3), "so does the log's sync");
    }

    /// A connection's page cache size, as SQLite reports it (negative: in KiB).
    fn cache(c: &Connection) -> Result<i64> {
        c.query_row("PRAGMA cache_size", [], |r| r.get::<_, i64>(0)).map_err(db_err)
    }

    /// The writer's page cache is the smaller one (see [`WRITER_CACHE_KIB`]).
    #[tokio::test]
    async fn the_writer_keeps_a_smaller_page_cache_than_the_readers() {
        let (store, _dir) = crate::temp_store().await;
        assert_eq!(store.write(move |tx| cache(tx)).await.unwrap(), -WRITER_CACHE_KIB);
        assert_eq!(store.read(cache).await.unwrap(), -CACHE_KIB);
    }

    /// A bulk append gets the readers' cache, and keeps it until an append that is not bulk.
    #[tokio::test]
    async fn bulk_appends_keep_the_readers_cache_until_a_small_one() {
        let (store, _dir) = crate::temp_store().await;
        let sized = |messages: usize| {
            let inner = store.inner.clone();
            move |tx: &rusqlite::Transaction<'_>| {
                inner.size_cache_for(tx, messages)?;
                cache(tx)
            }
        };
        assert_eq!(store.write(sized(BULK_APPEND)).await.unwrap(), -CACHE_KIB);
        assert_eq!(store.write(move |tx| cache(tx)).await.unwrap(), -CACHE_KIB, "other writes leave it");
        assert_eq!(store.write(sized(BULK_APPEND - 1)).await.unwrap(), -WRITER_CACHE_KIB);
        assert_eq!(store.write(move |tx| cache(tx)).await.unwrap(), -WRITER_CACHE_KIB);
    }

    /// Hold the writer of `files` in a write, until the sender is sent to (or 10 s passed).
    async fn hold_writer(
        store: &SqliteStore,
        files: Files,
    ) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<Result<()>>) {
        let (held, release) = std::sync::mpsc::channel::<()>();
        let (started, writing) = tokio::sync::oneshot::channel();
        let holder = store.clone();
        let write = tokio::spawn(async move {
            let hold = move |_: &rusqlite::Transaction<'_>| {
                let _ = started.send(());
                let _ = release.recv_timeout(std::time::Duration::from_secs(10));
                Ok(())
            };
            holder.write_files(files, hold, |out| out).await
        });
        writing.await.unwrap();
        (held, write)
    }

    /// A write waits for another process's lock on its file, even when it reads before it
    /// writes: its lock is taken first thing ([`files::lock`]), not at its first write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_that_reads_first_waits_for_another_process_s_lock() {
        let (store, _dir) = crate::temp_store().await;
        for files in [Files::Main, Files::Runs] {
            let other = files::connect_store(store.path()).unwrap();
            let table = if files == Files::Main { "write_keys" } else { "journey_steps" };
            other.execute_batch("BEGIN").unwrap();
            files::lock(&other, files).unwrap();
            let releaser = std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(200));
                other.execute_batch(&format!("DELETE FROM {table}; COMMIT")).unwrap();
            });
            let write = move |tx: &rusqlite::Transaction<'_>| {
                let n: i64 =
                    tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).map_err(db_err)?;
                tx.execute(&format!("DELETE FROM {table} WHERE {n} < 0"), []).map_err(db_err)
            };
            store.write_files(files, write, |n| n).await.unwrap();
            releaser.join().unwrap();
        }
    }

    /// A write of `runs.db` neither waits for `rekindle.db`'s writer nor returns before its own
    /// commit is on disk; a write of both waits for both.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_runs_write_does_not_wait_for_the_main_writer() {
        use std::time::Duration;
        let (store, _dir) = crate::temp_store().await;
        let (held, append) = hold_writer(&store, Files::Main).await;
        let step = "INSERT INTO journey_steps VALUES (1, 2, 3, 'a', NULL, 'entered', NULL, 10)";
        let runs = store.write_runs(move |tx| tx.execute(step, []).map_err(db_err));
        let wrote = tokio::time::timeout(Duration::from_secs(2), runs).await;
        assert_eq!(wrote.expect("written while rekindle.db's writer was held").unwrap(), 1);
        let (committed, on_disk) = store.inner.runs.synced();
        assert_eq!((committed, on_disk), (1, 1), "durable before it returned");
        let both = tokio::spawn({
            let store = store.clone();
            async move { store.write_both(move |tx| tx.execute("DELETE FROM journey_steps", []).map_err(db_err)).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!both.is_finished(), "a write of both files waits for rekindle.db's writer");
        held.send(()).unwrap();
        append.await.unwrap().unwrap();
        assert_eq!(both.await.unwrap().unwrap(), 1);
        assert_eq!(store.inner.runs.synced(), (2, 2));
    }

    /// A read asked for on a background thread runs there, at its priority; from anywhere
    /// else it runs on the blocking pool (rekindle_store::background).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_background_thread_reads_in_line() {
        let (store, _dir) = crate::temp_store().await;
        let reader = || |_: &Connection| Ok(std::thread::current().id());
        assert_ne!(store.read(reader()).await.unwrap(), std::thread::current().id());
        let runtime = tokio::runtime::Handle::current();
        let background = std::thread::spawn(move || {
            rekindle_store::background::mark_this_thread();
            (std::thread::current().id(), runtime.block_on(store.read(reader())).unwrap())
        });
        let (caller, read_on) = tokio::task::spawn_blocking(|| background.join().unwrap()).await.unwrap();
        assert_eq!(caller, read_on);
    }

    /// Delivery receipts for messages this outbox never queued are answered from a reader:
    /// they do not wait for a write that holds the outbox's writer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn receipts_for_unknown_messages_do_not_wait_for_the_writer() {
        use std::time::Duration;
        let (store, _dir) = crate::temp_store().await;
        let (held, write) = hold_writer(&store, Files::Runs).await;
        let ws = rekindle_core::WorkspaceId(1);
        let marks = [("someone-else:1".to_owned(), chrono::Utc::now())];
        let marked = tokio::time::timeout(
            Duration::from_secs(2),
            rekindle_store::Outbox::mark_all_delivered(&store, ws, &marks),
        )
        .await;
        held.send(()).unwrap();
        write.await.unwrap().unwrap();
        assert_eq!(marked.expect("answered while the writer was held").unwrap(), 0);
    }
}
