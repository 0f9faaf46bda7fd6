//! Any bytes as an import file, in both formats: every line is either a message or an error
//! naming its line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekindle_ingest::import::Format;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    for format in [Format::Jsonl, Format::OrdersCsv] {
        let reader = format.reader(std::io::Cursor::new(data.to_vec()), chrono::DateTime::UNIX_EPOCH);
        for line in reader.take(10_000) {
            if let Err(e) = line {
                // A refused line is named by a line number the file has.
                assert!(e.line <= lines + 1, "line {} of a {lines}-line input", e.line);
            }
        }
    }
});
