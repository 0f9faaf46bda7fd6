//! Getting events in: the group-commit [`Ingestor`] that the HTTP layer hands parsed batches
//! to, and [`import`] for files.

pub mod import;
mod ingestor;
mod metrics;
pub mod write_keys;

pub use ingestor::{IngestConfig, IngestError, Ingestor};
pub use metrics::{IngestMetrics, latency_histogram};
