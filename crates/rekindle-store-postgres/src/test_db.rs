//! The test database of the crate's own unit tests (`plans`, `partitions`): the same variable
//! and default as the integration tests' fixture (`tests/common`), a schema per test.

pub(crate) fn url() -> String {
    std::env::var("REKINDLE_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A new schema name shaped as the fixture names its own (`rk_test_<unix secs>_…`), so its
/// sweep drops one a killed run left behind.
pub(crate) fn schema(what: &str) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("rk_test_{secs}_{what}_{}", rekindle_core::ids::Uuid::now_v7().simple())
}
