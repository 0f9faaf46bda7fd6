//! The segment rule language (docs/segments.md): a rule parses into an [`ast::Rule`] with
//! errors that say where and what was expected, and evaluates against a person's profile.
//!
//! ```text
//! bought "草莓" and not bought "草莓" within 30d
//! lifecycle = silent and tier = high
//! spend(365d) >= ¥2000 or watched "live-0501" >= 30m
//! ```

pub mod ast;
mod error;
mod eval;
pub mod journey;
mod lexer;
mod parser;

pub use ast::Rule;
pub use error::ParseError;
pub use eval::{ProductTags, Subject};
pub use parser::{MAX_NESTING, MAX_RULE_CHARS, parse};

#[cfg(test)]
mod tests;
