//! Hostile input: errors.
