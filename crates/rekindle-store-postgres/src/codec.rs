//! Conversions between domain values and PostgreSQL rows.

use rekindle_core::{Identifier, IdentifierKind};
use sqlx_core::error::Error;

/// A stored string that must parse, or the database holds something this build did not write.
pub fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, Error> {
    s.parse::<T>().map_err(|e| Error::Decode(e.into()))
}

pub fn identifier(kind: &str, value: String) -> Result<Identifier, Error> {
    Ok(Identifier { kind: parse::<IdentifierKind>(kind)?, value })
}

/// A stored name this build does not know: the database holds something it did not write.
pub fn unknown(what: &str, value: &str) -> Error {
    Error::Decode(format!("unknown {what} {value:?} in the database").into())
}
