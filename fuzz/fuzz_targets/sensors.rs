//! Any bytes as a Sensors Data record: translated or refused, never a panic; what translates
//! parses back from its stored payload to the same person and id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekindle_core::Message;
use rekindle_core::message::Arrival;
use rekindle_core::sensors::{Record, translate};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let arrival = Arrival::live(chrono::DateTime::UNIX_EPOCH);
    if let Ok(Record::Message(m)) = translate(value, &arrival, data) {
        assert!(m.user_id.is_some() || m.anonymous_id.is_some());
        let back = Message::restore(m.payload.get(), m.kind, m.timestamp, m.received_at).expect("a stored payload parses");
        assert_eq!(back.identifiers, m.identifiers);
        assert_eq!(back.message_id, m.message_id);
        assert_eq!(back.update, m.update);
    }
});
