//! Any text as an amount in yuan: it parses within the bounds or is refused, never panics, and
//! what parsed prints back to text that parses to the same fen, as a string and as a number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekindle_core::money::{Fen, MAX_FEN};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut values = vec![Value::String(text.to_string())];
    // The same text as a JSON number, when it is one (serde_json reads it as an f64 or integer).
    if let Ok(number @ Value::Number(_)) = serde_json::from_str::<Value>(text) {
        values.push(number);
    }
    for value in values {
        if let Ok(fen) = Fen::from_yuan(&value) {
            assert!((0..=MAX_FEN).contains(&fen.get()));
            assert_eq!(fen.to_string().parse::<Fen>(), Ok(fen));
            assert_eq!(Fen::from_yuan(&fen.to_yuan_number()), Ok(fen));
        }
    }
});
