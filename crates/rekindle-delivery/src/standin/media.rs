//! WeCom stand-in: `media/upload` (multipart, field `media`, WeCom's limits and errcodes), the
//! media ids it issues for three days, and the attachment checks `add_msg_template` makes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Fault;
use super::Upload;
use super::state::{HOLD, Shared};
use super::wecom::{ok, refuse, token_refusal};

/// How long WeCom keeps a temporary media id.
const LIFETIME: Duration = Duration::from_secs(3 * 86_400);
/// Attachments one task takes at most.
const MAX_ATTACHMENTS: usize = 9;
/// The largest upload the route reads: above every type's limit, so the limit is WeCom's answer
/// rather than a dropped connection.
pub(crate) const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// An issued media id.
pub(crate) struct Media {
    pub media_type: &'static str,
    pub expires: Instant,
}

/// `media/upload?type=…`: the `media` part of a multipart form, checked as WeCom does.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.begin().await;
    if let Some(refusal) = token_refusal(&shared, &q) {
        return refusal;
    }
    let media_type = match q.get("type").map(String::as_str) {
        Some("image") => "image",
        Some("video") => "video",
        Some("voice") => "voice",
        Some("file") => "file",
        _ => return refuse(40005, "invalid type"),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(part) = media_part(content_type, &body) else { return refuse(41005, "media data missing") };
    if part.declared_len.is_some_and(|len| len != part.bytes.len()) {
        return refuse(40006, "invalid file size: filelength does not match the data");
    }
    if let Some(refusal) = check_file(media_type, &part.file_name, part.bytes.len()) {
        return refusal;
    }
    let mut hold = false;
    match shared.fault("") {
        Some(Fault::ServerError) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Some(Fault::Throttle) => return refuse(45033, "api concurrent out of limit"),
        Some(Fault::Timeout) => hold = true,
        _ => {}
    }
    let media_id = format!("3{}", hex::encode(rand::random::<[u8; 24]>()));
    {
        let mut state = shared.lock();
        state.media.insert(media_id.clone(), Media { media_type, expires: Instant::now() + LIFETIME });
        state.uploads.push(Upload {
            media_type: media_type.to_string(),
            file_name: part.file_name,
            content_type: part.content_type,
            sha256: hex::encode(Sha256::digest(&part.bytes)),
            len: part.bytes.len(),
            media_id: media_id.clone(),
        });
    }
    if hold {
        tokio::time::sleep(HOLD).await;
    }
    ok(json!({"type": media_type, "media_id": media_id, "created_at": chrono::Utc::now().timestamp().to_string()}))
}

/// WeCom's limits: more than 5 bytes; images JPG/PNG up to 10 MB, videos MP4 up to 10 MB,
/// voice AMR up to 2 MB, files up to 20 MB.
fn check_file(media_type: &str, file_name: &str, len: usize) -> Option<Response> {
    const MB: usize = 1024 * 1024;
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let (formats, max, too_large): (&[&str], usize, i64) = match media_type {
        "image" => (&["jpg", "jpeg", "png"], 10 * MB, 40009),
        "video" => (&["mp4"], 10 * MB, 40011),
        "voice" => (&["amr"], 2 * MB, 40006),
        _ => (&[], 20 * MB, 40006),
    };
    if len <= 5 {
        return Some(refuse(40006, "invalid file size"));
    }
    if len > max {
        return Some(refuse(too_large, "invalid file size"));
    }
    if !formats.is_empty() && !formats.contains(&extension.as_str()) {
        return Some(refuse(40004, "invalid media type"));
    }
    None
}

struct Part {
    file_name: String,
    content_type: Option<String>,
    declared_len: Option<usize>,
    bytes: Vec<u8>,
}

/// The form part named `media`, parsed as plainly as WeCom's documented example is written.
fn media_part(content_type: &str, body: &[u8]) -> Option<Part> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params.split(';').find_map(|p| p.trim().strip_prefix("boundary="))?.trim_matches('"');
    let delimiter = format!("\r\n--{boundary}");
    // A leading CRLF makes the first delimiter look like the others.
    let body = [b"\r\n".as_slice(), body].concat();
    let mut rest = &body[find(&body, delimiter.as_bytes())? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return None;
        }
        let rest_of_part = rest.strip_prefix(b"\r\n")?;
        let end = find(rest_of_part, delimiter.as_bytes())?;
        let part = &rest_of_part[..end];
        rest = &rest_of_part[end + delimiter.len()..];
        let split = find(part, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&part[..split]).ok()?;
        let mut disposition = None;
        let mut part_type = None;
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(':')?;
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                disposition = Some(value.trim().to_string());
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part_type = Some(value.trim().to_string());
            }
        }
        let params = disposition.as_deref().map(disposition_params).unwrap_or_default();
        if params.get("name").map(String::as_str) == Some("media") {
            return Some(Part {
                file_name: params.get("filename").cloned().unwrap_or_default(),
                content_type: part_type,
                declared_len: params.get("filelength").and_then(|l| l.parse().ok()),
                bytes: part[split + 4..].to_vec(),
            });
        }
    }
}

/// `form-data; name="media"; filename="a.png"; filelength=6` as a map.
fn disposition_params(value: &str) -> HashMap<String, String> {
    value
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The attachments of an `add_msg_template` body, checked as WeCom does: at most nine, a known
/// msgtype each, media ids issued here, unexpired and of the right type, cards complete.
pub(crate) fn check_attachments(shared: &Shared, attachments: &[Value]) -> Option<Response> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Some(refuse(40058, "attachments exceed the limit of 9"));
    }
    let state = shared.lock();
    let media_ok = |id: &Value, wanted: &str| {
        id.as_str()
            .and_then(|id| state.media.get(id))
            .is_some_and(|m| m.media_type == wanted && Instant::now() < m.expires)
    };
    for a in attachments {
        let msgtype = a["msgtype"].as_str().unwrap_or_default();
        let inner = &a[msgtype];
        let fine = match msgtype {
            "image" if inner["media_id"].is_null() && inner["pic_url"].is_string() => true,
            "image" | "video" | "file" => media_ok(&inner["media_id"], msgtype),
            "link" => {
                if !filled(&inner["title"]) || !filled(&inner["url"]) {
                    return Some(refuse(40058, "link title and url are required"));
                }
                true
            }
            "miniprogram" => {
                if !["title", "appid", "page"].iter().all(|k| filled(&inner[*k])) {
                    return Some(refuse(40058, "miniprogram title, appid and page are required"));
                }
                media_ok(&inner["pic_media_id"], "image")
            }
            _ => return Some(refuse(40008, "invalid message type")),
        };
        if !fine {
            return Some(refuse(40007, "invalid media_id"));
        }
    }
    None
}

fn filled(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.trim().is_empty())
}

/// Let every issued media id run past its three days.
pub(crate) fn expire_media(shared: &Shared) {
    let now = Instant::now();
    shared.lock().media.values_mut().for_each(|m| m.expires = now);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_media_part_is_found_among_others() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nnope\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"media\";filename=\"wework.txt\"; filelength=6\r\n\
            Content-Type: application/octet-stream\r\n\r\nmydata\r\n--XyZ--\r\n";
        let part = media_part("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(
            (part.file_name.as_str(), part.declared_len, part.bytes.as_slice()),
            ("wework.txt", Some(6), &b"mydata"[..])
        );
        assert!(media_part("application/json", body).is_none());
    }

    #[test]
    fn files_are_checked_against_the_documented_limits() {
        assert!(check_file("image", "a.PNG", 100).is_none());
        assert!(check_file("image", "a.gif", 100).is_some());
        assert!(check_file("image", "a.png", 5).is_some());
        assert!(check_file("video", "a.mp4", 10 * 1024 * 1024 + 1).is_some());
        assert!(check_file("file", "a.pdf", 10 * 1024 * 1024 + 1).is_none());
    }
}
