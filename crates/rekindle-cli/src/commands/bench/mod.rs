//! `rekindle bench`: measurements for docs/benchmarks.md. Benchmarks, not tests: they print
//! figures and check only that every event arrived.

mod ingest;
mod segments;
mod traffic;

pub use ingest::ingest;
pub use segments::segments;
