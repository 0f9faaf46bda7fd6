//! WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside the commit
//! that crosses the threshold, so one unlucky ingest request pays for copying the whole WAL
//! back into the database. Here the writer never checkpoints; this thread copies in the
//! background (PASSIVE: it never blocks the writer) and, only if the WAL still grows past a
//! bound, restarts it at a moment without readers.
//!
//! A restart needs SQLite's write lock. It takes the store's writer first (the same mutex
//! every write queues on), so no write meets SQLite's lock and sleeps in its busy handler,
//! and it does not wait for readers: if one is reading, it gives up at once and tries again at
//! the next tick. Waiting 10 ms for readers instead stalled every write 4–5 times a second
//! under ingestion (11–71 ms each, plus the busy handler's sleeps), and the slowest journey
//! messages came right after those stalls (issue 24).

use std::path::PathBuf;
use std::sync::Weak;
use std::time::Duration;

use rusqlite::Connection;

use crate::Inner;

const EVERY: Duration = Duration::from_millis(200);
/// WAL frames (pages) beyond which a checkpoint tries to restart the log.
const RESTART_FRAMES: i64 = 64 * 1024;
/// WAL frames beyond which the restart waits as long as it takes (the disk matters more).
const FORCE_FRAMES: i64 = 8 * RESTART_FRAMES;
/// How long a forced restart waits for readers. A RESTART holds the writer while it waits:
/// with the connection's 5 s busy timeout every write stalled behind a long read for seconds
/// (2.3 s seen with ingestion at 10,000 events/s). Only a WAL far past its bound is worth it.
const FORCED_WAIT: Duration = Duration::from_secs(1);

pub fn spawn(path: PathBuf, store: Weak<Inner>) {
    let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
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
            // Copy again what came during that pass, so the restart, which holds the writer,
            // has only the last few milliseconds' frames left to copy and sync.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "wal checkpoint failed");
                continue;
            }
            let Some(inner) = store.upgrade() else { break };
            let started = std::time::Instant::now();
            let restarted = restart(&conn, &inner, if forced { FORCED_WAIT } else { Duration::ZERO });
            drop(inner);
            match restarted {
                Ok((restarted, held)) => tracing::debug!(
                    frames,
                    forced,
                    restarted,
                    took_ms = started.elapsed().as_secs_f64() * 1e3,
                    held_ms = held.as_secs_f64() * 1e3,
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

/// Restart the WAL holding the store's writer, waiting at most `wait` for readers: whether it
/// restarted (false: a reader kept it busy; the next tick tries again), and how long the writer
/// was held.
fn restart(conn: &Connection, inner: &Inner, wait: Duration) -> rusqlite::Result<(bool, Duration)> {
    let (busy, held) = inner.with_writer(|_| {
        let got = std::time::Instant::now();
        let busy = conn
            .busy_timeout(wait)
            .and_then(|()| conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)));
        (busy, got.elapsed())
    });
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok((busy? == 0, held))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_restart_gives_up_at_once_while_a_reader_reads_and_restarts_once_it_is_done() {
        let (store, _dir) = crate::temp_store().await;
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
        let (restarted, _) = restart(&conn, &store.inner, Duration::ZERO).unwrap();
        assert!(!restarted, "a reader is in the WAL: no restart, and no wait for it");
        // Writes go on meanwhile, and the writer is free again.
        write(3).await.unwrap();

        reader.execute_batch("COMMIT").unwrap();
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).unwrap();
        let (restarted, _) = restart(&conn, &store.inner, Duration::ZERO).unwrap();
        assert!(restarted, "nobody reads: the WAL restarts");
        write(4).await.unwrap();
        let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 4);
    }
}
