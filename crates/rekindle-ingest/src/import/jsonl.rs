use std::io::BufRead;

use chrono::{DateTime, Utc};
use rekindle_core::message::Arrival;
use rekindle_core::{FieldError, Message};

use rekindle_core::objects::Object;

use super::{Item, LineError, LineReader, LineResult};

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
            return Some(parse_line(text, &arrival).map_err(|e| LineError::new(self.line, e)));
        }
    }
}

/// A line with an `"object"` key is a product or live session; any other is a Segment message.
fn parse_line(text: &str, arrival: &Arrival) -> Result<Item, FieldError> {
    // Objects are rare and small: look for the key before paying for a second parse.
    if text.contains("\"object\"") {
        let value: serde_json::Value = serde_json::from_str(text).map_err(FieldError::malformed_json)?;
        if value.get("object").is_some() {
            return Object::parse(&value).map(Item::Object);
        }
    }
    Message::parse(text, None, arrival).map(Item::Message)
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
        let Ok(Item::Message(first)) = &out[0] else { panic!("a message") };
        assert_eq!(first.timestamp.to_rfc3339(), "2026-01-01T00:00:00+00:00", "history keeps its time");
        assert_eq!(out[1].as_ref().unwrap_err().line, 3);
        assert_eq!(out[2].as_ref().unwrap_err().field, "userId");
    }

    #[test]
    fn the_same_line_gets_the_same_message_id_on_every_run() {
        let input = "{\"type\":\"track\",\"userId\":\"a\",\"event\":\"x\"}\n";
        let id = || match JsonLines::new(input.as_bytes(), Utc::now()).next() {
            Some(Ok(Item::Message(m))) => m.message_id,
            other => panic!("{other:?}"),
        };
        assert_eq!(id(), id());
    }

    #[test]
    fn object_lines_are_products_and_sessions() {
        let input = concat!(
            r#"{"object":"product","sku":"oat","name":"燕麦片","category":"谷物","price":3990}"#,
            "\n",
            r#"{"object":"live_session","id":"l1","title":"早餐","scheduled_start":"2026-05-01T20:00:00+08:00"}"#,
            "\n",
            r#"{"object":"product","sku":"x"}"#,
            "\n"
        );
        let out: Vec<LineResult> = JsonLines::new(input.as_bytes(), Utc::now()).collect();
        assert!(matches!(out[0], Ok(Item::Object(Object::Product(_)))));
        assert!(matches!(out[1], Ok(Item::Object(Object::LiveSession(_)))));
        assert_eq!(out[2].as_ref().unwrap_err().field, "name");
    }
}
