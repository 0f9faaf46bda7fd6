//! `rekindle bench`: measurements for docs/benchmarks.md. Benchmarks, not tests: they print
//! figures and check only that every event arrived.

mod ingest;
mod journeys;
mod live;
mod models;
mod reports;
mod segments;
mod traffic;

pub use ingest::ingest;
pub use journeys::journeys;
pub use live::live;
pub use models::models;
pub use reports::reports;
pub use segments::segments;
