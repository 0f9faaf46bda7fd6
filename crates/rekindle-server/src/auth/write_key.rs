use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use base64::Engine;
use rekindle_store::{Store, WriteKey};

use crate::error::{ApiError, ErrorCode};

/// How long a looked-up key is trusted before asking the store again: a revoked key stops
/// working within this time, and ingestion does not read the store on every request.
const TTL: Duration = Duration::from_secs(5);

/// A looked-up key (or its absence) and when it was looked up, by the hash of its secret.
type Entries = HashMap<String, (Option<WriteKey>, Instant)>;

#[derive(Clone, Default)]
pub struct WriteKeyCache {
    entries: Arc<Mutex<Entries>>,
}

impl WriteKeyCache {
    /// The live key for this secret, or `unauthorized` naming the `writeKey` field.
    pub async fn authenticate(&self, store: &dyn Store, secret: Option<&str>) -> Result<WriteKey, ApiError> {
        let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
            ApiError::field(ErrorCode::Unauthorized, "writeKey", "send the write key as the HTTP Basic username")
        })?;
        let hash = rekindle_core::secret::hash(secret);
        let cached = self.entries.lock().unwrap_or_else(|p| p.into_inner()).get(&hash).cloned();
        let key = match cached {
            Some((key, at)) if at.elapsed() < TTL => key,
            _ => {
                let key = store.write_key_by_hash(&hash).await?;
                let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
                if entries.len() > 10_000 {
                    entries.clear();
                }
                entries.insert(hash, (key.clone(), Instant::now()));
                key
            }
        };
        key.ok_or_else(|| ApiError::field(ErrorCode::Unauthorized, "writeKey", "unknown or revoked write key"))
    }
}

/// The username of HTTP Basic credentials: where Segment clients put the write key.
pub fn basic_username(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split_once(':').map_or(text.as_str(), |(user, _)| user).to_string())
}
