//! WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside the commit
//! that crosses the threshold, so one unlucky ingest request pays for copying the whole WAL
//! back into the database. Here the writer never checkpoints; this thread copies in the
//! background (PASSIVE: it never blocks the writer) and, only if the WAL still grows past a
//! bound, waits for a moment without readers to restart it.

use std::path::PathBuf;
use std::sync::Weak;
use std::time::Duration;

use crate::Inner;

const EVERY: Duration = Duration::from_millis(200);
/// WAL frames (pages) beyond which a blocking checkpoint restarts the log.
const RESTART_FRAMES: i64 = 64 * 1024;

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
            let mode = match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
                Ok(frames) if frames > RESTART_FRAMES => "RESTART",
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "wal checkpoint failed");
                    continue;
                }
            };
            if let Err(e) = conn.execute_batch(&format!("PRAGMA wal_checkpoint({mode})")) {
                tracing::warn!(error = %e, "wal restart failed");
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the checkpoint thread; the WAL will grow");
    }
}
