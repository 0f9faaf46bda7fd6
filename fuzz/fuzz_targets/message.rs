//! Any bytes as a Segment message, batch-style (type from the body) and endpoint-style.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekindle_core::message::Arrival;
use rekindle_core::{Message, MessageKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let arrival = Arrival::live(chrono::DateTime::UNIX_EPOCH);
    for kind in [None, Some(MessageKind::Identify), Some(MessageKind::Alias)] {
        if let Ok(m) = Message::parse(text, kind, &arrival) {
            // What parsed must hold together: an identity, and a payload that is JSON.
            assert!(m.user_id.is_some() || m.anonymous_id.is_some());
            assert!(!m.identifiers.is_empty());
            assert!(m.payload_value().is_object());
        }
    }
});
