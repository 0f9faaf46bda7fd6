//! What a rule that does not parse is told: where, what was expected, what was found.

use std::fmt;

use crate::MAX_RULE_CHARS;

/// Where a rule stops making sense (a character offset) and what would have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub expected: String,
    pub found: String,
    /// The rule is over a cap (length or nesting) rather than merely wrong: refused outright
    /// wherever it is written, even in a draft that may otherwise be saved with problems.
    pub over_limit: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: expected {}, found {}", self.position, self.expected, self.found)
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// The error as a terminal shows it: the rule, a caret under the spot and the message
    /// (`rekindle segment eval` prints this). A rule over the length cap is too long to echo
    /// usefully: the message alone. The caret counts a non-ASCII character as two columns, as
    /// terminals draw Chinese; a rule with line breaks is echoed as it is.
    pub fn render(&self, rule: &str) -> String {
        if rule.chars().count() > MAX_RULE_CHARS {
            return format!("error: {self}");
        }
        let column: usize = rule.chars().take(self.position).map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
        format!("{rule}\n{}^\nerror: {self}", " ".repeat(column))
    }
}
