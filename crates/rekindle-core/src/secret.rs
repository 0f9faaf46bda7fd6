//! Secrets (write keys, session and API tokens) are stored as a hash: a leaked database does not
//! leak what clients send.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of the secret. Secrets are long random strings, so a fast hash is enough.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The part of a secret shown in lists, to tell them apart.
pub fn prefix(secret: &str) -> String {
    secret.chars().take(10).collect()
}
