//! WAL checkpoints on their own thread, one per file (files.rs). SQLite's automatic checkpoint
//! runs inside the commit that crosses the threshold, so one unlucky ingest request pays for
//! copying the whole WAL back into the database. Here the writer never checkpoints; this
//! thread copies in the background (PASSIVE: it never blocks the writer) and, only if the WAL
//! still grows past a bound, restarts it at a moment without readers.
//!
//! A restart needs SQLite's write lock. It takes the store's writer first (the same mutex
//! every write queues on), so no write meets SQLite's lock and sleeps in its busy handler,
//! and it does not wait for readers: if one is reading, it gives up at once and tries again at
//! the next tick. Waiting 10 ms for readers instead stalled every write 4–5 times a second
//! under ingestion (11–71 ms each, plus the busy handler's sleeps), and the slowest journey
//! messages came right after those stalls (issue 24).
//!
//! A checkpoint syncs the database file only when it copies the WAL to its end, which under
//! steady writes only the restart does: it flushed everything the passive passes had copied
//! since the last such moment, 40–60 ms with ingestion at 10,000 events/s, every second or so,
//! all of it holding the writer. So before a restart this thread copies and flushes the file
//! itself, outside the writer, until a flush finds little to write ([`settle`]); the restart
//! then syncs only its last milliseconds' copies.

use std::path::PathBuf;
use std::sync::Weak;
use std::time::Duration;

use rekindle_store::urgency::Urgency;
use rusqlite::Connection;

use crate::Inner;
use crate::files::Files;

const EVERY: Duration = Duration::from_millis(200);
/// WAL frames (pages) beyond which a checkpoint tries to restart the log.
const RESTART_FRAMES: i64 = 64 * 1024;
/// WAL frames beyond which the restart waits as long as it takes (the disk matters more).
const FORCE_FRAMES: i64 = 8 * RESTART_FRAMES;
/// Flushes of the database file before a restart, at most ([`settle`]).
const SETTLE_ROUNDS: usize = 4;
/// A flush this quick found little to write: the restart's own will be as quick.
const SETTLED: Duration = Duration::from_millis(5);
/// How long a forced restart waits for readers. A RESTART holds the writer while it waits:
/// with the connection's 5 s busy timeout every write stalled behind a long read for seconds
/// (2.3 s seen with ingestion at 10,000 events/s). Only a WAL far past its bound is worth it.
const FORCED_WAIT: Duration = Duration::from_secs(1);

/// Checkpoint the file at `path`, written by the writer of `file`.
pub fn spawn(path: PathBuf, file: Files, store: Weak<Inner>) {
    // Named by file, to be told apart in `top -H` and profiles.
    let name = match file {
        Files::Runs => "checkpoint-runs",
        Files::Main | Files::Both => "checkpoint-main",
    };
    let spawned = std::thread::Builder::new().name(name.into()).spawn(move || {
        let conn = match crate::connect(&path) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "checkpoint thread cannot open the database");
                return;
            }
        };
        // Stop once the store is gone.
        while store.upgrade().is_some() {
            std::thread::sleep(EVERY);
            // (WAL frames, frames copied into the database).
            let (frames, copied) = match conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
            {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(error = %e, "wal checkpoint failed");
                    continue;
                }
            };
            if frames <= RESTART_FRAMES {
                continue;
            }
            // Restart only once the passive pass copied everything, so that holding the
            // writer lock costs little copying; wait for readers only if the WAL is far past
            // its bound.
            let forced = frames > FORCE_FRAMES;
            if copied < frames && !forced {
                continue;
            }
            // Copy again what came during that pass, and flush the copies, so the restart,
            // which holds the writer, has only the last few milliseconds' left to copy and sync.
            let settling = std::time::Instant::now();
            if let Err(e) = settle(&conn) {
                tracing::warn!(error = %e, "wal checkpoint failed");
                continue;
            }
            let settled = settling.elapsed();
            let Some(inner) = store.upgrade() else { break };
            let started = std::time::Instant::now();
            let restarted = restart(&conn, &inner, file, if forced { FORCED_WAIT } else { Duration::ZERO });
            drop(inner);
            match restarted {
                Ok((restarted, held)) => tracing::debug!(
                    frames,
                    forced,
                    restarted,
                    settled_ms = settled.as_secs_f64() * 1e3,
                    took_ms = started.elapsed().as_secs_f64() * 1e3,
                    held_ms = held.as_secs_f64() * 1e3,
                    ?file,
                    "wal restart"
                ),
                Err(e) => tracing::warn!(error = %e, "wal restart failed"),
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the checkpoint thread; the WAL will grow");
    }
}

/// Copy the WAL into the database file and flush the file, again while a flush still took
/// long (it found much to write, and more came meanwhile), at most [`SETTLE_ROUNDS`] times.
fn settle(conn: &Connection) -> rusqlite::Result<()> {
    for _ in 0..SETTLE_ROUNDS {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        let started = std::time::Instant::now();
        sync_database_file(conn)?;
        if started.elapsed() < SETTLED {
            break;
        }
    }
    Ok(())
}

/// Flush the connection's database file to disk through SQLite's own file handle. Not through
/// a `File` of ours: closing any descriptor of the file drops every POSIX lock this process
/// holds on it, SQLite's included, and SQLite offers no call that only syncs.
fn sync_database_file(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::ffi;
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: `conn` is open and used by this thread alone; FILE_POINTER writes the main
    // database's file object (owned by the connection, alive while it is) into `file`.
    let rc = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            (&raw mut file).cast(),
        )
    };
    let failed =
        |rc| Err(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some("syncing the database file".into())));
    if rc != ffi::SQLITE_OK {
        return failed(rc);
    }
    // SAFETY: a file SQLite opened has its methods; xSync is the VFS's own flush, called as
    // SQLite calls it, while no statement of this connection runs.
    let rc = unsafe {
        match file.as_ref().and_then(|f| f.pMethods.as_ref()).and_then(|m| m.xSync) {
            Some(sync) => sync(file, ffi::SQLITE_SYNC_NORMAL),
            None => ffi::SQLITE_MISUSE,
        }
    };
    match rc {
        ffi::SQLITE_OK => Ok(()),
        rc => failed(rc),
    }
}

/// Restart the WAL holding the store's writer, waiting at most `wait` for readers: whether it
/// restarted (false: a reader kept it busy; the next tick tries again), and how long the writer
/// was held.
fn restart(conn: &Connection, inner: &Inner, file: Files, wait: Duration) -> rusqlite::Result<(bool, Duration)> {
    let (busy, time) = inner.with_writer(file, Urgency::Normal, |_| {
        conn.busy_timeout(wait)
            .and_then(|()| conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)))
    });
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok((busy? == 0, time.held))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_restart_gives_up_at_once_while_a_reader_reads_and_restarts_once_it_is_done() {
        let (store, _dir) = crate::temp_store_without_checkpoints();
        let write = |n: i64| {
            store.write(move |tx| {
                tx.execute_batch("CREATE TABLE IF NOT EXISTS t (x INTEGER)").map_err(crate::db_err)?;
                tx.execute("INSERT INTO t VALUES (?1)", [n]).map_err(crate::db_err)?;
                Ok(())
            })
        };
        write(1).await.unwrap();
        // A reader whose snapshot is in the WAL, as the log's followers always have one.
        let reader = crate::connect(store.path()).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let seen: i64 = reader.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(seen, 1);
        write(2).await.unwrap();

        let conn = crate::connect(store.path()).unwrap();
        let (restarted, _) = restart(&conn, &store.inner, Files::Main, Duration::ZERO).unwrap();
        assert!(!restarted, "a reader is in the WAL: no restart, and no wait for it");
        // Writes go on meanwhile, and the writer is free again.
        write(3).await.unwrap();

        reader.execute_batch("COMMIT").unwrap();
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).unwrap();
        let (restarted, _) = restart(&conn, &store.inner, Files::Main, Duration::ZERO).unwrap();
        assert!(restarted, "nobody reads: the WAL restarts");
        write(4).await.unwrap();
        let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 4);
    }

    #[tokio::test]
    async fn settling_copies_the_whole_log_into_the_database_file_outside_the_writer() {
        let (store, _dir) = crate::temp_store_without_checkpoints();
        for n in 0..50i64 {
            store
                .write(move |tx| {
                    tx.execute_batch("CREATE TABLE IF NOT EXISTS t (x INTEGER)").map_err(crate::db_err)?;
                    tx.execute("INSERT INTO t VALUES (?1)", [n]).map_err(crate::db_err)?;
                    Ok(())
                })
                .await
                .unwrap();
        }
        let conn = crate::connect(store.path()).unwrap();
        let frames = |conn: &Connection| {
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
                .unwrap()
        };
        // The writer is held throughout: settling never asks for it.
        let ((log, copied), _) = store.inner.with_writer(Files::Main, Urgency::Normal, |_| {
            settle(&conn).unwrap();
            frames(&conn)
        });
        assert!(log > 0, "the writes are in the WAL");
        assert_eq!(copied, log, "every frame is in the database file");
        // The file is the connection's own: a flush of an in-memory database has none.
        assert!(sync_database_file(&Connection::open_in_memory().unwrap()).is_err());
        let (restarted, _) = restart(&conn, &store.inner, Files::Main, Duration::ZERO).unwrap();
        assert!(restarted);
    }
}
