//! Hostile input: rules.
