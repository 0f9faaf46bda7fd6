//! WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside the commit
//! that crosses the threshold, so one unlucky ingest request pays for copying the whole WAL
//! back into the database. Here the writer never checkpoints; this thread copies in the
//! background (PASSIVE: it never blocks the writer) and, only if the WAL still grows past a
//! bound, restarts it at a moment without readers.

use std::path::PathBuf;
use std::sync::Weak;
use std::time::Duration;

use crate::Inner;

const EVERY: Duration = Duration::from_millis(200);
/// WAL frames (pages) beyond which a checkpoint tries to restart the log.
const RESTART_FRAMES: i64 = 64 * 1024;
/// WAL frames beyond which the restart waits as long as it takes (the disk matters more).
const FORCE_FRAMES: i64 = 8 * RESTART_FRAMES;
/// How long a restart waits for readers. A RESTART holds the writer lock while it waits, so
/// with the connection's 5 s busy timeout every write (the journey runner's enrollments, the
/// applier) stalled behind a long read for seconds (2.3 s seen with ingestion at 10,000
/// events/s); a short wait that gives up and tries again at the next tick stalls nobody.
const RESTART_WAIT: Duration = Duration::from_millis(10);

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
            // writer lock costs no copying; and wait for readers briefly unless the WAL is
            // far past its bound.
            let forced = frames > FORCE_FRAMES;
            if copied < frames && !forced {
                continue;
            }
            let wait = if forced { Duration::from_secs(5) } else { RESTART_WAIT };
            let started = std::time::Instant::now();
            let restarted = conn
                .busy_timeout(wait)
                .and_then(|()| conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)));
            let _ = conn.busy_timeout(Duration::from_secs(5));
            match restarted {
                // 1: readers kept it busy; the next tick tries again.
                Ok(busy) => tracing::debug!(
                    frames,
                    forced,
                    restarted = busy == 0,
                    took_ms = started.elapsed().as_secs_f64() * 1e3,
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
