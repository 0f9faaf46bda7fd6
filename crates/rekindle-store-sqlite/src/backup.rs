//! Online backup of a data dir, and restoring one into an empty data dir.
//!
//! `VACUUM INTO` writes a consistent snapshot of a database while the server keeps writing
//! (a read transaction over the WAL), compacted. The inbox is copied before the store: an
//! event acknowledged before the backup is then in the copy of one or the other, and one in
//! both is applied once (the store de-duplicates by message id when the inbox is replayed).
//! `runs.db` is copied after `rekindle.db`: what the runner did for an event the copy of
//! `rekindle.db` holds is then in the copy, or the runner does it again from its cursor; an
//! entry is made once per trigger, so an event it already entered is not entered twice. The
//! cursors are in `runs.db` and may be past the copy's log: the store brings them back to its
//! end when it opens (`files::clamp_cursors`). A backup from before `runs.db` holds those
//! tables in `rekindle.db`, and they move when the restored store opens (files.rs).

use std::path::Path;

use rekindle_store::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};

use crate::{DB_FILE, INBOX_FILE, RUNS_FILE};

/// Copy the store in `data_dir` into `dest`, a directory created for it (it must not exist
/// or be empty). Returns the files written.
pub fn backup(data_dir: &Path, dest: &Path) -> Result<Vec<String>> {
    if !data_dir.join(DB_FILE).exists() {
        return Err(StoreError::NotFound(format!("no store in {}", data_dir.display())));
    }
    if dest.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(refused(format!("{} is not empty", dest.display())));
    }
    std::fs::create_dir_all(dest).map_err(StoreError::backend)?;
    let mut written = Vec::new();
    for file in [INBOX_FILE, DB_FILE, RUNS_FILE] {
        let source = data_dir.join(file);
        if !source.exists() {
            continue;
        }
        let conn =
            Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(StoreError::backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(StoreError::backend)?;
        let target = dest.join(file);
        conn.execute("VACUUM INTO ?1", [target.to_string_lossy()]).map_err(StoreError::backend)?;
        written.push(file.to_owned());
    }
    Ok(written)
}

/// Put the backup in `src` into `data_dir`, which must hold no store yet. The store's
/// migrations run when it is next opened; the inbox is applied when the server starts.
pub fn restore(src: &Path, data_dir: &Path) -> Result<Vec<String>> {
    if !src.join(DB_FILE).exists() {
        return Err(StoreError::NotFound(format!("no {DB_FILE} in {}", src.display())));
    }
    if [DB_FILE, RUNS_FILE].iter().any(|f| data_dir.join(f).exists()) {
        return Err(refused(format!("{} already holds a store", data_dir.display())));
    }
    std::fs::create_dir_all(data_dir).map_err(StoreError::backend)?;
    let mut written = Vec::new();
    for file in [DB_FILE, RUNS_FILE, INBOX_FILE] {
        if src.join(file).exists() {
            std::fs::copy(src.join(file), data_dir.join(file)).map_err(StoreError::backend)?;
            written.push(file.to_owned());
        }
    }
    Ok(written)
}

fn refused(why: String) -> StoreError {
    StoreError::backend(std::io::Error::new(std::io::ErrorKind::AlreadyExists, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both files' rows come back, and the copies are whole databases of their own.
    #[tokio::test]
    async fn a_backup_holds_both_files_and_restores_them() {
        use rekindle_store::Enrollments;
        let (store, dir) = crate::temp_store().await;
        // And a runner's cursor past the log (which is empty), as a copy of `runs.db` taken
        // after the runner went on holds it.
        let step = "INSERT INTO journey_steps VALUES (1, 2, 3, 'a', NULL, 'entered', NULL, 10);
                    INSERT INTO journey_cursors VALUES (1, 1000);";
        store.write_runs(move |tx| tx.execute_batch(step).map_err(crate::db_err)).await.unwrap();
        let (copy, restored) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let written = backup(dir.path(), &copy.path().join("b")).unwrap();
        assert_eq!(written, [INBOX_FILE, DB_FILE, RUNS_FILE]);
        restore(&copy.path().join("b"), restored.path()).unwrap();
        let again = crate::SqliteStore::open(restored.path()).await.unwrap();
        let steps = again
            .read(|c| {
                c.query_row("SELECT count(*) FROM journey_steps", [], |r| r.get::<_, i64>(0)).map_err(crate::db_err)
            })
            .await
            .unwrap();
        assert_eq!(steps, 1);
        assert_eq!(again.journey_cursor(rekindle_core::WorkspaceId(1)).await.unwrap(), 0, "back to the log's end");
        assert!(restore(&copy.path().join("b"), restored.path()).is_err(), "not over a store");
    }
}
