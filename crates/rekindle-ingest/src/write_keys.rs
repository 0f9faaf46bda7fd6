//! Write keys: the credentials ingestion clients send. Only a hash of each is stored.

use rand::Rng;
use rekindle_core::{FieldError, WorkspaceId};
use rekindle_store::{Store, StoreError, WriteKey};

/// A random credential: `prefix` and 32 characters from an alphabet without look-alikes.
pub fn random_token(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let body: String = (0..32).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{prefix}{body}")
}

/// Make a write key named `name`; returns the secret (shown once) and the stored key. The
/// inner error is the caller's mistake, the outer one the store's.
pub async fn create(
    store: &dyn Store,
    ws: WorkspaceId,
    name: &str,
) -> Result<Result<(String, WriteKey), FieldError>, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Ok(Err(FieldError::new("name", "must be 1 to 100 characters")));
    }
    let secret = random_token("rk_");
    let key = store
        .create_write_key(ws, name, &rekindle_core::secret::hash(&secret), &rekindle_core::secret::prefix(&secret))
        .await?;
    Ok(Ok((secret, key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_with_their_prefix() {
        let a = random_token("rk_");
        assert!(a.starts_with("rk_") && a.len() == 35);
        assert_ne!(a, random_token("rk_"));
    }
}
