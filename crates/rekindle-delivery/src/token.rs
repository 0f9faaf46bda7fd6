//! Access tokens for the WeChat-family APIs (WeCom, mini-program): fetched with the app secret,
//! valid for about two hours, and rate-limited at the source, so fetched once and shared.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::{Secret, SendError};

/// Refresh this long before the provider's expiry, so a token is never used as it lapses.
const MARGIN: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    // A tokio mutex held across the fetch: concurrent senders wait for one fetch instead of
    // each asking for a new token (which would invalidate the others' on some APIs).
    slot: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

impl TokenCache {
    /// The cached token, or a new one from `fetch`, which answers the token and its lifetime.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Secret, SendError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Secret, Duration), SendError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let (token, lifetime) = fetch().await?;
        let usable = lifetime.checked_sub(MARGIN).unwrap_or(lifetime / 2);
        *slot = Some(Cached { token: token.clone(), refresh_at: Instant::now() + usable });
        Ok(token)
    }

    /// Forget `stale` after the provider refused it; a token fetched meanwhile by another sender
    /// is kept.
    pub(crate) async fn invalidate(&self, stale: &Secret) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| &c.token == stale) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn fetches_once_until_invalidated() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            Ok((Secret::new(format!("t{n}")), Duration::from_secs(7200)))
        };
        let first = cache.get(fetch).await.unwrap();
        assert_eq!(cache.get(fetch).await.unwrap(), first);
        cache.invalidate(&Secret::new("other")).await;
        assert_eq!(cache.get(fetch).await.unwrap(), first);
        cache.invalidate(&first).await;
        assert_eq!(cache.get(fetch).await.unwrap().expose(), "t1");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }
}
