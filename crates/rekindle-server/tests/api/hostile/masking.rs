//! Hostile input: masking.
