use std::io::BufRead;

use chrono::{DateTime, Utc};
use rekindle_core::message::Arrival;
use rekindle_core::{FieldError, Message};

use super::{LineError, LineReader, LineResult};

/// Segment messages, one JSON object per line, each with its `type`. Blank lines are skipped.
/// Timestamps are kept as written (an import is history, not a live device).
pub struct JsonLines<R> {
    reader: R,
    line: u64,
    received_at: DateTime<Utc>,
    buf: String,
    bytes_read: u64,
}

impl<R: BufRead> JsonLines<R> {
    pub fn new(reader: R, received_at: DateTime<Utc>) -> Self {
        Self { reader, line: 0, received_at, buf: String::new(), bytes_read: 0 }
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = LineResult;

    fn next(&mut self) -> Option<LineResult> {
        loop {
            self.buf.clear();
            self.line += 1;
            let n = match self.reader.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => return Some(Err(LineError::new(self.line, FieldError::new("", format!("unreadable: {e}"))))),
            };
            self.bytes_read += n as u64;
            let text = self.buf.trim();
            if text.is_empty() {
                continue;
            }
            let arrival = Arrival { historical: true, ..Arrival::live(self.received_at) };
            return Some(Message::parse(text, None, &arrival).map_err(|e| LineError::new(self.line, e)));
        }
    }
}

impl<R: BufRead + Send> LineReader for JsonLines<R> {
    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_messages_and_reports_bad_lines_by_number() {
        let input = "{\"type\":\"track\",\"userId\":\"a\",\"event\":\"x\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\n\n{oops}\n{\"type\":\"track\",\"event\":\"x\"}\n";
        let out: Vec<LineResult> = JsonLines::new(input.as_bytes(), Utc::now()).collect();
        assert_eq!(out.len(), 3);
        let first = out[0].as_ref().unwrap();
        assert_eq!(first.timestamp.to_rfc3339(), "2026-01-01T00:00:00+00:00", "history keeps its time");
        assert_eq!(out[1].as_ref().unwrap_err().line, 3);
        assert_eq!(out[2].as_ref().unwrap_err().field, "userId");
    }

    #[test]
    fn the_same_line_gets_the_same_message_id_on_every_run() {
        let input = "{\"type\":\"track\",\"userId\":\"a\",\"event\":\"x\"}\n";
        let a: Vec<_> = JsonLines::new(input.as_bytes(), Utc::now()).collect();
        let b: Vec<_> = JsonLines::new(input.as_bytes(), Utc::now()).collect();
        assert_eq!(a[0].as_ref().unwrap().message_id, b[0].as_ref().unwrap().message_id);
    }
}
