//! Hostile input: accounts.
