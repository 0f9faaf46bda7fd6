//! A CSV answered as a file to save: UTF-8 with a BOM for Excel, and a file name the browser
//! keeps whatever the name holds (a session id may be Chinese, or carry quotes).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::export_words::UTF8_BOM;

/// A CSV writer whose output starts with the byte-order mark.
pub fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(UTF8_BOM.as_bytes().to_vec())
}

/// `bytes` as the download `name`.csv. A header value must be visible ASCII, so the plain
/// `filename` keeps only safe characters and `filename*` (RFC 6266) carries the name as is.
pub fn response(name: &str, bytes: Vec<u8>) -> Response {
    let plain: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    let exact = utf8_percent_encode(name, NON_ALPHANUMERIC);
    let disposition = format!("attachment; filename=\"{plain}.csv\"; filename*=UTF-8''{exact}.csv");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_or_quoted_name_makes_a_valid_header() {
        for name in ["review-直播一-figures", "a\"b\r\nc", "segment-7"] {
            let r = response(name, vec![]);
            let d = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().to_owned();
            assert!(d.starts_with("attachment; filename=\""), "{d}");
            assert!(!d.contains('\r') && !d.contains('\n'), "{d}");
        }
        let r = response("review-直播一", vec![]);
        let d = r.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert_eq!(
            d,
            "attachment; filename=\"review-___.csv\"; filename*=UTF-8''review%2D%E7%9B%B4%E6%92%AD%E4%B8%80.csv"
        );
    }
}
