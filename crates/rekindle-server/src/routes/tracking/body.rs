//! Reading an ingestion body: content type, gzip, size limits — before any JSON is parsed.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};

use crate::error::{ApiError, ErrorCode};

/// Check the content type and encoding, read at most `limit` bytes and undo gzip, refusing
/// a body that inflates past `limit` (a gzip bomb) without inflating the rest of it.
pub async fn read(headers: &HeaderMap, body: Body, limit: usize, too_large: ErrorCode) -> Result<Bytes, ApiError> {
    check_content_type(headers)?;
    let gzip =
        match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase()) {
            None => false,
            Some(e) if e == "identity" || e.is_empty() => false,
            Some(e) if e == "gzip" || e == "x-gzip" => true,
            Some(e) => {
                return Err(ApiError::field(
                    ErrorCode::UnsupportedMediaType,
                    "Content-Encoding",
                    format!("{e} is not supported; send gzip or no encoding"),
                ));
            }
        };
    let what = if too_large == ErrorCode::BatchTooLarge { "batch" } else { "message" };
    let raw = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::field(too_large, "body", format!("the {what} is larger than the limit of {limit} bytes"))
    })?;
    if !gzip {
        return Ok(raw);
    }
    let mut inflated = Vec::with_capacity(raw.len() * 4);
    flate2::read::GzDecoder::new(&raw[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| ApiError::field(ErrorCode::InvalidJson, "body", format!("gzip body is corrupt: {e}")))?;
    if inflated.len() > limit {
        return Err(ApiError::field(too_large, "body", format!("the {what} inflates past the limit of {limit} bytes")));
    }
    Ok(Bytes::from(inflated))
}

/// JSON, or `text/plain` (analytics.js sends batches as text to skip CORS preflight), or none.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else { return Ok(()) };
    let mime = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime == "application/json" || mime == "text/plain" || mime.ends_with("+json") || mime.is_empty() {
        Ok(())
    } else {
        Err(ApiError::field(
            ErrorCode::UnsupportedMediaType,
            "Content-Type",
            format!("{mime} is not accepted; send application/json"),
        ))
    }
}
