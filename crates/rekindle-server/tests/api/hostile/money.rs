//! Hostile input: money.
