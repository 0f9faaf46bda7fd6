//! The shared storage conformance suite, on a fresh SQLite data dir per test.

use rekindle_store_sqlite::SqliteStore;

async fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    (store, dir)
}

rekindle_store::conformance_suite!(fresh());
