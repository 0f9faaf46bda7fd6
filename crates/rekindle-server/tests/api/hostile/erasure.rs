//! Hostile input: erasure.
