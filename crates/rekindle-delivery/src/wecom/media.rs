//! Temporary media (`media/upload`), uploaded once and reused: WeCom keeps a media id three
//! days, and a campaign sends the same product picture to thousands of customers.
//!
//! Uploads are cached by media type, file name and content (SHA-256); an asset behind a URL by
//! its key and URL, so it is not fetched again while cached. A per-entry async mutex makes
//! concurrent sends of one asset wait for a single upload.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::attachment::{Asset, AssetSource, MediaType, check_size};
use super::multipart;
use crate::clock::Clock;
use crate::wechat::{WechatApi, nothing_sent};
use crate::{FailureKind, SendError};

/// How long WeCom keeps a temporary media id.
pub const MEDIA_LIFETIME: Duration = Duration::from_secs(3 * 86_400);
/// How long an upload is reused: an hour short of [`MEDIA_LIFETIME`], so no media id lapses
/// between resolving it and the staff member confirming the task.
pub const MEDIA_REUSE: Duration = Duration::from_secs(3 * 86_400 - 3600);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Content([u8; 32]),
    /// Key and URL: fetching the URL to hash it would cost what the cache saves.
    Url(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    media: MediaType,
    identity: Identity,
    /// Files show their name to the customer, so the same bytes under two names are two uploads.
    file_name: String,
}

struct Uploaded {
    media_id: String,
    at: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<Uploaded>>>;

pub(crate) struct MediaCache {
    clock: Arc<dyn Clock>,
    slots: Mutex<HashMap<CacheKey, Slot>>,
}

impl fmt::Debug for MediaCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaCache").field("clock", &self.clock).field("entries", &self.map().len()).finish()
    }
}

impl MediaCache {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, slots: Mutex::new(HashMap::new()) }
    }

    /// The media id of `asset` as `media`: the cached one while fresh, else a new upload.
    pub(crate) async fn media_id(&self, api: &WechatApi, media: MediaType, asset: &Asset) -> Result<String, SendError> {
        // Bytes and files are hashed (a file is read for it); a URL is fetched only to upload.
        let (identity, loaded) = match &asset.source {
            AssetSource::Bytes(bytes) => (Identity::Content(Sha256::digest(bytes).into()), Ok(bytes.clone())),
            AssetSource::Path(path) => {
                let bytes: Arc<[u8]> = read_path(media, asset, path).await?.into();
                (Identity::Content(Sha256::digest(&bytes).into()), Ok(bytes))
            }
            AssetSource::Url(url) => (Identity::Url(asset.key.clone(), url.clone()), Err(url)),
        };
        let key = CacheKey { media, identity, file_name: asset.file_name.clone() };
        let slot = self.slot(key);
        let mut held = slot.lock().await;
        // Taken before the upload: the id's three days start no later than this.
        let now = self.clock.now();
        if let Some(up) = held.as_ref().filter(|up| now < up.at + MEDIA_REUSE) {
            return Ok(up.media_id.clone());
        }
        let bytes = match loaded {
            Ok(bytes) => bytes,
            Err(url) => fetch_url(api.http(), media, asset, url).await?.into(),
        };
        let media_id = upload(api, media, asset, &bytes).await?;
        *held = Some(Uploaded { media_id: media_id.clone(), at: now });
        Ok(media_id)
    }

    /// Drop cached uploads WeCom no longer knows (it answered 40007 for one of them).
    pub(crate) async fn forget(&self, media_ids: &[String]) {
        let slots: Vec<Slot> = self.map().values().cloned().collect();
        for slot in slots {
            let mut held = slot.lock().await;
            if held.as_ref().is_some_and(|up| media_ids.contains(&up.media_id)) {
                *held = None;
            }
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn slot(&self, key: CacheKey) -> Slot {
        let now = self.clock.now();
        let mut map = self.map();
        if let Some(slot) = map.get(&key) {
            return slot.clone();
        }
        // Prune stale entries as new ones come: only those no sender holds (the map's is the one
        // reference, and the map is locked), so single-flight is kept.
        map.retain(|_, slot| {
            Arc::strong_count(slot) > 1
                || slot.try_lock().map_or(true, |held| held.as_ref().is_some_and(|up| now < up.at + MEDIA_REUSE))
        });
        map.entry(key).or_default().clone()
    }
}

/// `media/upload` of `bytes`: the media id. Nothing reached a person yet, so every failure is
/// at worst retryable.
async fn upload(api: &WechatApi, media: MediaType, asset: &Asset, bytes: &[u8]) -> Result<String, SendError> {
    let content_type = asset.content_type.as_deref().unwrap_or("application/octet-stream");
    let form = multipart::media_form(&asset.file_name, content_type, bytes);
    let describe = |e: SendError| about(media, asset, nothing_sent(e));
    let reply = api
        .post_raw("cgi-bin/media/upload", &[("type", media.as_str())], &form.content_type, &form.body)
        .await
        .map_err(describe)?;
    match reply["media_id"].as_str().filter(|id| !id.is_empty()) {
        Some(id) => {
            tracing::debug!(message = "uploaded WeCom media", media = media.as_str(), key = %asset.key, bytes = bytes.len());
            Ok(id.to_string())
        }
        None => Err(describe(SendError::retryable(
            FailureKind::ProviderError,
            "no_media_id",
            "upload answered no media_id",
        ))),
    }
}

async fn read_path(media: MediaType, asset: &Asset, path: &Path) -> Result<Vec<u8>, SendError> {
    let unreadable = |e: std::io::Error| {
        let message = format!("cannot read {} '{}' at {}: {e}", media.as_str(), asset.key, path.display());
        SendError::rejected(FailureKind::Misconfigured, "asset_unreadable", message)
    };
    let len = tokio::fs::metadata(path).await.map_err(unreadable)?.len();
    check_size(media, asset, len)?;
    let bytes = tokio::fs::read(path).await.map_err(unreadable)?;
    check_size(media, asset, bytes.len() as u64)?;
    Ok(bytes)
}

/// The asset behind `url`, read no further than WeCom's limit.
async fn fetch_url(http: &reqwest::Client, media: MediaType, asset: &Asset, url: &str) -> Result<Vec<u8>, SendError> {
    let what = format!("{} '{}'", media.as_str(), asset.key);
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        let message = format!("{what}: only http(s) URLs can be fetched");
        return Err(SendError::rejected(FailureKind::Misconfigured, "asset_url", message));
    }
    // Fetching is not sending: any failure here leaves the message unsent.
    let failed = |detail: String| {
        SendError::retryable(FailureKind::Network, "asset_fetch", format!("fetching {what}: {detail}"))
    };
    let mut response = http.get(url).send().await.map_err(|e| failed(without_url(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status().as_u16())));
    }
    if let Some(len) = response.content_length() {
        check_size(media, asset, len)?;
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(without_url(&e)))? {
        bytes.extend_from_slice(&chunk);
        // Stop reading as soon as it is too large.
        if bytes.len() as u64 > media.max_bytes() {
            check_size(media, asset, bytes.len() as u64)?;
        }
    }
    check_size(media, asset, bytes.len() as u64)?;
    Ok(bytes)
}

/// Asset URLs may be signed: keep them out of messages.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}

/// `e` with what was being uploaded in front of its message.
fn about(media: MediaType, asset: &Asset, e: SendError) -> SendError {
    let prefix = format!("uploading {} '{}' ({})", media.as_str(), asset.key, asset.file_name);
    match e {
        SendError::Rejected { kind, code, message } => SendError::rejected(kind, code, format!("{prefix}: {message}")),
        SendError::Retryable { kind, code, message, retry_after } => {
            SendError::retryable(kind, code, format!("{prefix}: {message}")).with_retry_after(retry_after)
        }
        SendError::Uncertain { kind, code, message } => {
            SendError::uncertain(kind, code, format!("{prefix}: {message}"))
        }
    }
}
