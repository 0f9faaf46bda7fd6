//! The one HTTP client every channel shares, and how transport failures map onto the three
//! [`SendError`] classes.
//!
//! TLS is rustls with the ring provider only: no OpenSSL, and no aws-lc (which needs cmake and a
//! C toolchain to build).

use std::error::Error as _;
use std::sync::Once;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use crate::{ConfigError, FailureKind, SendError};

/// A response read whole: provider answers are small JSON documents.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A client with `timeout` from connect to the last byte of the answer.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    install_ring();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // Providers answer in place; a redirect would only carry a signed request elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("rekindle/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::Invalid { field: "timeout_ms", reason: describe(&e) })
}

/// reqwest is built without a crypto provider (to keep aws-lc out of the build); make ring the
/// process default once. Another component may have installed one already, which is as good.
/// Anything in the process that builds a `reqwest::Client` calls this first.
pub fn install_ring() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Send and read the whole answer, classifying what went wrong on the way.
pub(crate) async fn fetch(request: reqwest::RequestBuilder) -> Result<Answer, SendError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    // Once the request was written, a failure reading the answer leaves the outcome unknown.
    let body = response.bytes().await.map_err(|e| {
        let kind = if e.is_timeout() { FailureKind::Timeout } else { FailureKind::Network };
        SendError::uncertain(kind, if e.is_timeout() { "timeout" } else { "read" }, describe(&e))
    })?;
    Ok(Answer { status, headers, body: body.to_vec() })
}

/// Connect errors happen before anything is written: safe to retry. A timeout or a broken
/// connection after that may have delivered the message.
pub(crate) fn transport_error(e: reqwest::Error) -> SendError {
    if e.is_connect() {
        SendError::retryable(FailureKind::Network, "connect", describe(&e))
    } else if e.is_timeout() {
        SendError::uncertain(FailureKind::Timeout, "timeout", describe(&e))
    } else if e.is_builder() {
        SendError::rejected(FailureKind::Misconfigured, "request", describe(&e))
    } else {
        SendError::uncertain(FailureKind::Network, "transport", describe(&e))
    }
}

/// The error and its causes, without the URL: URLs carry access tokens and app secrets.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// For an answer that is not the provider's JSON: 5xx may have been sent, anything else is a
/// provider failure we cannot read.
pub(crate) fn unreadable(answer: &Answer) -> SendError {
    let code = format!("http_{}", answer.status.as_u16());
    let message = String::from_utf8_lossy(&answer.body).chars().take(200).collect::<String>();
    if answer.status.is_server_error() || answer.status.is_success() {
        SendError::uncertain(FailureKind::ProviderError, code, message)
    } else {
        SendError::rejected(FailureKind::ProviderError, code, message)
    }
}

/// `Retry-After` in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A configured base URL, checked once at start-up.
pub(crate) fn base_url(field: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::Invalid { field, reason: format!("not a URL: {e}") })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::Invalid { field, reason: "needs an http(s) URL with a host".into() });
    }
    Ok(url)
}

/// `path` under `base`, keeping any path prefix the base has (a proxy's, say).
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/{}", path.trim_start_matches('/')));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_a_prefix() {
        let base = Url::parse("https://proxy.example/wecom/").unwrap();
        assert_eq!(join(&base, "cgi-bin/gettoken").as_str(), "https://proxy.example/wecom/cgi-bin/gettoken");
        let bare = Url::parse("http://127.0.0.1:9").unwrap();
        assert_eq!(join(&bare, "/").as_str(), "http://127.0.0.1:9/");
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }

    #[tokio::test]
    async fn a_refused_connection_is_retryable_and_names_no_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let http = client(Duration::from_secs(2)).unwrap();
        let url = format!("http://127.0.0.1:{port}/cgi-bin/gettoken?corpsecret=s3cret-in-url");
        let err = fetch(http.get(url)).await.err().unwrap();
        assert!(matches!(err, SendError::Retryable { kind: FailureKind::Network, .. }), "{err:?}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
