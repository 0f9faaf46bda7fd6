//! Operator passwords: argon2id (the crate's defaults, OWASP's recommended parameters),
//! stored as PHC strings. Hashing is deliberately slow, so it runs on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest password accepted for a new account.
pub const MIN_LEN: usize = 10;
/// Longest password accepted anywhere. Argon2 takes any length, but each attempt hashes what
/// the caller sends: a megabyte of "password" per sign-in is work an attacker would choose.
pub const MAX_LEN: usize = 1024;

/// Whether `password` may be a new account's: the reason when not.
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!("must be at least {MIN_LEN} characters"));
    }
    if n > MAX_LEN {
        return Err(format!("must be at most {MAX_LEN} characters"));
    }
    Ok(())
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
    })
    .await?
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that a wrong email takes
/// as long as a wrong password and timing does not tell which accounts exist.
pub fn decoy() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$m5bGl7L1kqVDRIG7yp0j1Yc8t1h0Ztbq8kXk8S4QqLc"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_password_is_neither_short_nor_huge() {
        assert!(check_new("123456789").is_err());
        assert!(check_new("1234567890").is_ok());
        assert!(check_new(&"长".repeat(MAX_LEN)).is_ok(), "characters, not bytes");
        assert!(check_new(&"x".repeat(MAX_LEN + 1)).is_err());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), h.clone()).await);
        assert!(!verify("wrong".into(), h).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
        assert!(!verify("x".into(), decoy().into()).await);
    }
}
