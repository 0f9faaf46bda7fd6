//! The segment rule language (rekindle-rules) never panics or overflows the stack, whatever is
//! typed: a rule it accepts is within the length cap and its `not`s within the nesting cap; a
//! rule it refuses is refused at a position inside the text, and its error draws (as the CLI
//! prints it) without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekindle_rules::{MAX_NESTING, MAX_RULE_CHARS, Rule, parse};

fn nots(rule: &Rule) -> usize {
    match rule {
        Rule::Not(inner) => 1 + nots(inner),
        Rule::And(a, b) | Rule::Or(a, b) => nots(a).max(nots(b)),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let chars = text.chars().count();
    match parse(text) {
        Ok(rule) => {
            assert!(chars <= MAX_RULE_CHARS);
            assert!(nots(&rule) <= MAX_NESTING);
            assert_eq!(parse(text).ok(), Some(rule));
        }
        Err(e) => {
            assert!(e.position <= chars.max(MAX_RULE_CHARS), "{e}");
            assert!(e.render(text).ends_with(&e.to_string()));
        }
    }
});
