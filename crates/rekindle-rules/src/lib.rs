//! Rekindle's rule language: the rules that choose people for segments, rule tags, journey
//! audiences, branches and exits, the console's preview and `rekindle segment eval`
//! (docs/segments.md). A rule parses into a [`Rule`] or into a [`ParseError`] that says where
//! and what was expected, and evaluates against one person's profile at one moment. No IO.
//!
//! ```text
//! bought "草莓" and not bought "草莓" within 30d
//! lifecycle = silent and tier = high
//! spend(365d) >= ¥2000 or watched "live-0501" >= 30m
//! ```
//!
//! # Grammar
//!
//! As [`parse`] accepts it. Keywords and bare words are case-insensitive (lower-cased as
//! read); text in quotes is kept as written. Whitespace, the full-width space too, only
//! separates tokens.
//!
//! ```text
//! rule      = and { "or" and }                        "and" binds tighter than "or"
//! and       = unary { "and" unary }
//! unary     = "not" unary | "(" rule ")" | condition  at most MAX_NESTING deep
//! condition = "bought" "tagged" text [ within ]       a product the catalogue tags so
//!           | "bought" text [ within ]                a SKU, a category or part of a name
//!           | "watched" [ string ] cmp duration       time watched: all sessions or one
//!           | "watched" [ string ] [ within ]         was in a live room
//!           | "lifecycle" choice                      prospect new active silent churned reactivated
//!           | "tier" choice                           high potential edge; a single one
//!           | "tag" text
//!           | "churn_risk" choice                     low medium high
//!           | "depletes" [ string ] within            predicted to run out
//!           | metric cmp value
//! choice    = ( "=" | "!=" ) text | "in" "(" text { "," text } ")"
//! within    = "within" duration
//! metric    = "orders" | "spend" [ "(" duration ")" ] | "aov" | "days_since_order"
//!           | "days_since_seen" | "comments" | "shares" | "open_ticket_age" | "categories"
//!           | "rfm_r" | "rfm_f" | "rfm_m" | "p_alive" | "clv"
//! value     = money                                   spend, aov, clv
//!           | duration                                open_ticket_age
//!           | number                                  the others
//! cmp       = "<" | "<=" | "=" | "==" | "!=" | ">=" | ">"
//! text      = string | word
//!
//! string    = quote { any character but a quote } quote
//! quote     = '"' | '“' | '”'                         any of the three opens or closes
//! word      = ( letter | "_" ) { letter | digit | "_" }
//!                                                     letters of any script: 草莓 is a word
//! number    = ascii-digit { ascii-digit | "." }       30, 19.9
//! duration  = number ( "d" | "h" | "m" | "min" | "s" )
//!                                                     30d, 48h, 30m, 90s: no space before the unit
//! money     = ( "¥" | "￥" ) number | number "元"      ¥2000, ￥19.9, 58元
//! ```
//!
//! A stage, tier or risk is written in English, as above (`lifecycle = 流失` is refused and
//! told the six stages). `level`, `points` and `invited` are kept for later capabilities: a
//! rule using one is told which capability brings it. Nothing else is accepted: full-width
//! parentheses, commas, operators or digits (`（`, `，`, `＞`, `３`) are refused where they
//! stand, and so is any other unit: units are lower-case and follow the number at once
//! (`30天`, `30D` and `30 d` are refused).
//!
//! # Positions
//!
//! [`ParseError::position`] counts characters (Unicode scalar values, Rust `char`s) from 0, not
//! bytes and not screen columns: in `bought 草莓 within 三十天` the error is at 17, where
//! `三十天` starts (byte 21). The console marks the spot by code points too. A lexing error is
//! at the character that cannot be read (for an unclosed quote the opening quote, for a bad
//! unit the number's first digit, for a `¥` without an amount the character after it); a
//! parsing error at the first token that cannot be used, which is the rule's length in
//! characters when the rule ends too soon. [`ParseError::render`] draws it for
//! a terminal, as `rekindle segment eval` prints it; `tests/errors.rs` snapshots it for each
//! kind of mistake.
//!
//! # Caps
//!
//! Every rule, wherever it is written, is at most [`MAX_RULE_CHARS`] (2,000) characters and
//! nests parentheses and `not` at most [`MAX_NESTING`] (64) deep (`not (` counts two). The
//! parser and every walk over a [`Rule`] recurse once per level: without a cap, a rule of
//! 12,000 `not`s overflowed a thread's stack and aborted the server. The length is checked
//! before anything is read, so work per rule is bounded; the nesting cap then bounds recursion
//! within it, at the `(` or `not` that would go one level deeper. Both live here so that no
//! caller can forget them. An error over either has [`ParseError::over_limit`] set: callers
//! refuse such a rule outright, even in a journey draft that may otherwise be saved with its
//! problems ([`journey::over_limit`]).
//!
//! # Evaluation
//!
//! [`Rule::matches`] answers for one [`Subject`] at a moment `now`: a person's folded profile
//! (`rekindle_core::profile`), what is decided across people (stage, tier, RFM), their tags, the
//! catalogue's product tags and, once the models are fitted, their predictions. Nothing is
//! precomputed per rule: windows (`within 30d`, `spend(365d)`, `days_since_order`) are measured
//! back from `now`, so a profile answers at any moment without going stale. Money is compared
//! in fen, durations in seconds, `days_since_*` in days (infinite when never), the rest as
//! counts. Conditions on predictions (`p_alive`, `clv`, `churn_risk`, `depletes`) match nobody
//! without a prediction, negated or not. `rekindle-engine` evaluates a rule over every profile of
//! a workspace (`Audience::select`).
//!
//! # Journeys
//!
//! Core checks a journey's structure and cannot parse rules (this crate depends on it):
//! [`journey::validate`] gives it the parser, so a rule's problem lands at its field
//! (`steps[0].rule`) among the others, in the order the API returns them.

pub mod ast;
mod error;
mod eval;
pub mod journey;
mod lexer;
mod parser;
mod print;
mod words;

pub use ast::Rule;
pub use error::{Expected, Found, Later, ParseError};
pub use eval::{ProductTags, Subject};
pub use parser::{MAX_NESTING, MAX_RULE_CHARS, parse};
pub use words::Lang;

#[cfg(test)]
mod tests;
