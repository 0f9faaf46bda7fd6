//! Hostile input: identity.
