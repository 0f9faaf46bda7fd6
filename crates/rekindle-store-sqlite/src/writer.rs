//! One file's writer: its connection, whose turn it is ([`turns`]), and which of its commits
//! are known to be on disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rekindle_store::{Result, StoreError};
use rusqlite::Connection;

use crate::turns;

pub(crate) struct Writer {
    /// The file this writer writes; its connection may have others attached, to read.
    path: PathBuf,
    /// Taken in [`crate::Inner::with_writer`], once the turn is this write's.
    pub(crate) conn: parking_lot::Mutex<Connection>,
    pub(crate) turns: turns::Turns,
    /// Commits of this file, counted under its writer.
    committed: AtomicU64,
    /// How many of those are known to be on disk ([`Writer::durable`]).
    synced: parking_lot::Mutex<u64>,
}

impl Writer {
    pub(crate) fn new(path: &Path, conn: Connection) -> Self {
        Self {
            path: path.to_path_buf(),
            conn: parking_lot::Mutex::new(conn),
            turns: Default::default(),
            committed: AtomicU64::new(0),
            synced: parking_lot::Mutex::new(0),
        }
    }

    /// Count a commit of this file, holding its writer; returns its number, for [`Self::durable`].
    pub(crate) fn count_commit(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The newest commit's number.
    pub(crate) fn last_commit(&self) -> u64 {
        self.committed.load(Ordering::SeqCst)
    }

    /// Wait until this file's commit number `commit` is on disk: fsync its write-ahead log,
    /// unless a sync since that commit already did. Outside the writer, so the next write
    /// commits meanwhile, and one fsync covers every commit made before it (a group commit):
    /// with the sync inside, every durable commit held SQLite's one writer for its fsync too
    /// (issue 24). A write-ahead log loses only its newest commits, in order, so a commit is
    /// durable once a sync after it completes, whichever connection wrote it. A failed sync is
    /// the writer's error although its commit is already visible to other connections: it is
    /// not known to be on disk (under `FULL` SQLite reported it at the commit itself).
    ///
    /// The log is opened for each sync rather than kept open: SQLite deletes it when its last
    /// connection closes and makes it anew, and a kept descriptor would then sync a file nobody
    /// writes; the open costs little beside the fsync. Closing it drops no lock: SQLite locks
    /// the database and `-shm` files, never the log (compare `checkpoint::sync_database_file`).
    pub(crate) fn durable(&self, commit: u64) -> Result<()> {
        let mut synced = self.synced.lock();
        if *synced >= commit {
            return Ok(());
        }
        let upto = self.last_commit();
        match std::fs::File::open(crate::wal_path(&self.path)) {
            Ok(f) => f.sync_data().map_err(StoreError::backend)?,
            // No log: everything is in the database file, synced by the checkpoint that
            // removed it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::backend(e)),
        }
        *synced = upto;
        Ok(())
    }

    /// (Commits made, commits known on disk.)
    #[cfg(test)]
    pub(crate) fn synced(&self) -> (u64, u64) {
        (self.last_commit(), *self.synced.lock())
    }
}
