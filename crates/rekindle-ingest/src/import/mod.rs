//! File imports: Segment JSONL (with product and live-session objects) and a CSV of orders,
//! read line by line.
//!
//! Re-running an import is harmless: every line has a stable `messageId` (its own, the order
//! id for CSV, or a hash of the line), so stored lines are recognised and skipped.

mod csv_orders;
mod jsonl;

use rekindle_core::objects::Object;
use rekindle_core::{FieldError, Message};

pub use csv_orders::{CSV_COLUMNS, OrdersCsv};
pub use jsonl::JsonLines;

/// One refused line, for the per-line error report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl LineError {
    pub fn new(line: u64, e: FieldError) -> Self {
        Self { line, field: e.field, reason: e.reason }
    }
}

/// One imported line: an event, or an object (product, live session).
#[derive(Debug, Clone)]
pub enum Item {
    Message(Message),
    Object(Object),
}

/// What a reader yields: an item, or why a line was refused.
pub type LineResult = Result<Item, LineError>;

/// A file being read line by line.
pub trait LineReader: Iterator<Item = LineResult> + Send {
    /// Bytes read so far, for a progress bar.
    fn bytes_read(&self) -> u64;
}

/// The formats `rekindle import` reads, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    OrdersCsv,
}

impl Format {
    /// A reader of this format over `input`; `received_at` is the import's time.
    pub fn reader<R: std::io::BufRead + Send + 'static>(
        self,
        input: R,
        received_at: chrono::DateTime<chrono::Utc>,
    ) -> Box<dyn LineReader> {
        match self {
            Self::Jsonl => Box::new(JsonLines::new(input, received_at)),
            Self::OrdersCsv => Box::new(OrdersCsv::new(input, received_at)),
        }
    }

    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(Self::Jsonl),
            "csv" => Some(Self::OrdersCsv),
            _ => None,
        }
    }
}
