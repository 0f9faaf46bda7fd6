//! Hostile input: connections.
