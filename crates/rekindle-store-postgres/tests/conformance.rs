//! The shared storage conformance suite, each test in a fresh schema of one PostgreSQL database
//! (see `common/mod.rs` for where the database comes from).

mod common;

rekindle_store::conformance_suite!(common::fresh());
