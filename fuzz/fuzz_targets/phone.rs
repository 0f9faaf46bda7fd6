//! Phone normalisation never panics, and a normalised number normalises to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(n) = rekindle_core::phone::normalize(text) {
        assert_eq!(rekindle_core::phone::normalize(&n).as_deref(), Ok(n.as_str()));
        let _ = rekindle_core::phone::mask(&n);
    }
});
