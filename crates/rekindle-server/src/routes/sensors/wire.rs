//! The Sensors Data upload: form fields (in the query of a beacon, in the body of a POST)
//! whose `data` or `data_list` is base64 of UTF-8 JSON, gzipped when `gzip=1`.

use std::borrow::Cow;
use std::io::Read;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rekindle_core::message::{MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES};
use serde_json::value::RawValue;

use crate::error::{ApiError, ErrorCode};

/// Most bytes of form fields taken: a full batch once base64 and percent-encoding grow it.
pub const MAX_FORM_BYTES: usize = 3 * MAX_BATCH_BYTES;

/// Standard base64, with or without its padding (SDKs differ).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The fields of one upload that matter.
#[derive(Debug, Default)]
pub struct Upload {
    /// `data` (one record) or `data_list` (several), and which of the two it was.
    pub payload: Option<(&'static str, String)>,
    pub gzip: Option<String>,
    pub token: Option<String>,
}

impl Upload {
    /// Read form fields from a query string and a body; the body's win.
    pub fn read(query: Option<&str>, body: &[u8]) -> Self {
        let mut upload = Self::default();
        let fields = form_urlencoded::parse(query.unwrap_or("").as_bytes()).chain(form_urlencoded::parse(body));
        for (key, value) in fields {
            match key.as_ref() {
                "data" => upload.payload = Some(("data", value.into_owned())),
                "data_list" => upload.payload = Some(("data_list", value.into_owned())),
                "gzip" => upload.gzip = Some(value.into_owned()),
                "token" => upload.token = Some(value.into_owned()).filter(|t| !t.is_empty()),
                _ => {}
            }
        }
        upload
    }

    /// The JSON text the upload carries, checked against the batch limit.
    pub fn json(&self) -> Result<(&'static str, String), ApiError> {
        let (field, encoded) = self
            .payload
            .as_ref()
            .ok_or_else(|| ApiError::field(ErrorCode::InvalidField, "data_list", "send data or data_list"))?;
        let invalid = |reason: String| ApiError::field(ErrorCode::InvalidField, *field, reason);
        // A `+` sent without percent-encoding arrives as a space.
        let cleaned: Cow<str> = if encoded.contains([' ', '\n', '\r']) {
            Cow::Owned(
                encoded.chars().filter(|c| *c != '\n' && *c != '\r').map(|c| if c == ' ' { '+' } else { c }).collect(),
            )
        } else {
            Cow::Borrowed(encoded)
        };
        let bytes = BASE64.decode(cleaned.as_bytes()).map_err(|e| invalid(format!("is not base64: {e}")))?;
        let json = match self.gzip.as_deref().map(str::trim) {
            Some("1") => inflate(&bytes).map_err(|e| match e {
                Inflate::Corrupt(e) => invalid(format!("is not gzip: {e}")),
                Inflate::TooLarge => too_large(field),
            })?,
            None | Some("" | "0") => bytes,
            Some("9") => {
                return Err(ApiError::field(
                    ErrorCode::InvalidField,
                    "gzip",
                    "9 marks an encrypted upload, which Rekindle cannot read; turn the SDK's encryption plugin off",
                ));
            }
            Some(other) => {
                return Err(ApiError::field(ErrorCode::InvalidField, "gzip", format!("{other:?} is not 0, 1 or 9")));
            }
        };
        if json.len() > MAX_BATCH_BYTES {
            return Err(too_large(field));
        }
        let text = String::from_utf8(json).map_err(|_| invalid("is not UTF-8 once decoded".into()))?;
        Ok((field, text))
    }
}

/// The records of an upload's JSON: an array, or one object (`data`; some SDKs send one
/// record as `data_list` too). Each record is checked against the message limit.
pub fn records<'a>(field: &str, json: &'a str) -> Result<Vec<&'a RawValue>, ApiError> {
    let malformed =
        |e: serde_json::Error| ApiError::field(ErrorCode::InvalidJson, field, format!("malformed JSON: {e}"));
    let records: Vec<&RawValue> = if json.trim_start().starts_with('[') {
        serde_json::from_str(json).map_err(malformed)?
    } else {
        vec![serde_json::from_str(json).map_err(malformed)?]
    };
    if records.len() > MAX_BATCH_MESSAGES {
        return Err(ApiError::field(
            ErrorCode::BatchTooLarge,
            field,
            format!("{} records; the limit is {MAX_BATCH_MESSAGES}", records.len()),
        ));
    }
    if let Some((i, r)) = records.iter().enumerate().find(|(_, r)| r.get().len() > MAX_MESSAGE_BYTES) {
        return Err(ApiError::field(
            ErrorCode::MessageTooLarge,
            format!("{field}[{i}]"),
            format!("record is {} bytes; the limit is {MAX_MESSAGE_BYTES}", r.get().len()),
        ));
    }
    Ok(records)
}

fn too_large(field: &str) -> ApiError {
    ApiError::field(ErrorCode::BatchTooLarge, field, format!("decodes past the limit of {MAX_BATCH_BYTES} bytes"))
}

enum Inflate {
    Corrupt(std::io::Error),
    TooLarge,
}

/// Undo gzip, refusing what inflates past the batch limit without inflating the rest.
fn inflate(bytes: &[u8]) -> Result<Vec<u8>, Inflate> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_BATCH_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(Inflate::Corrupt)?;
    if out.len() > MAX_BATCH_BYTES { Err(Inflate::TooLarge) } else { Ok(out) }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes()
    }

    #[test]
    fn a_gzipped_batch_and_a_plain_beacon_decode_alike() {
        let json = r#"[{"type":"track","event":"看播","distinct_id":"d"}]"#;
        let batch =
            Upload::read(Some("token=k1"), &form(&[("data_list", &b64(&gzip(json.as_bytes()))), ("gzip", "1")]));
        assert_eq!(batch.token.as_deref(), Some("k1"));
        assert_eq!(batch.json().unwrap(), ("data_list", json.to_string()));
        let beacon = format!("data={}&ext=crc%3D1&token=k2", b64(json.as_bytes()));
        let beacon = Upload::read(Some(&beacon), b"");
        assert_eq!(beacon.json().unwrap(), ("data", json.to_string()));
        assert_eq!(beacon.token.as_deref(), Some("k2"));
        // A `+` that was not percent-encoded, and padding left off, still decode.
        let raw = format!("data_list={}", b64(json.as_bytes()).trim_end_matches('=').replace('+', " "));
        assert_eq!(Upload::read(None, raw.as_bytes()).json().unwrap().1, json);
        assert_eq!(records("data_list", json).unwrap().len(), 1);
        assert_eq!(records("data", r#"{"type":"track"}"#).unwrap().len(), 1);
    }

    #[test]
    fn bad_uploads_are_refused_naming_the_field() {
        let field = |query: &str| Upload::read(Some(query), b"").json().unwrap_err().field.unwrap();
        assert_eq!(field("token=x"), "data_list");
        assert_eq!(field("data=%%%"), "data");
        assert_eq!(field(&format!("data_list={}&gzip=1", b64(b"not gzip"))), "data_list");
        assert_eq!(field(&format!("data={}&gzip=7", b64(b"{}"))), "gzip");
        assert_eq!(field(&format!("data={}&gzip=9", b64(b"{}"))), "gzip");
        assert_eq!(field(&format!("data={}", b64(&[0xff, 0xfe]))), "data");
        let bomb = gzip(&vec![b' '; MAX_BATCH_BYTES + 10]);
        let e = Upload::read(None, &form(&[("data_list", &b64(&bomb)), ("gzip", "1")])).json().unwrap_err();
        assert_eq!(e.code, ErrorCode::BatchTooLarge);
        assert_eq!(records("data_list", "[1,").unwrap_err().code, ErrorCode::InvalidJson);
        let big = format!("[{{\"a\":\"{}\"}}]", "x".repeat(MAX_MESSAGE_BYTES));
        assert_eq!(records("data_list", &big).unwrap_err().field.as_deref(), Some("data_list[0]"));
    }
}
