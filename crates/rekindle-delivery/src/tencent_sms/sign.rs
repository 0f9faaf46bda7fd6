//! Tencent Cloud API 3.0 signature, TC3-HMAC-SHA256.
//!
//! CanonicalRequest = method, "/", "" (no query), the signed headers as `name:value\n` (lower
//! case, sorted), a blank line, their names joined by ";", and hex SHA-256 of the body, joined by
//! "\n". StringToSign = "TC3-HMAC-SHA256", the timestamp, `{UTC date}/{service}/tc3_request` and
//! hex SHA-256 of CanonicalRequest. The key is HMAC-SHA256 chained over "TC3" + SecretKey, the
//! date, the service and "tc3_request"; the signature is hex HMAC-SHA256 of StringToSign with it.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// Only these two headers are signed: the minimum the API requires, and both are set by us.
pub const SIGNED_HEADERS: &str = "content-type;host";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The UTC date of a Unix timestamp, as the credential scope wants it.
pub fn utc_date(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default().format("%Y-%m-%d").to_string()
}

pub fn canonical_request(method: &str, content_type: &str, host: &str, payload: &[u8]) -> String {
    format!(
        "{method}\n/\n\ncontent-type:{}\nhost:{}\n\n{SIGNED_HEADERS}\n{}",
        content_type.trim().to_ascii_lowercase(),
        host.trim().to_ascii_lowercase(),
        sha256_hex(payload)
    )
}

pub fn string_to_sign(timestamp: i64, service: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{}/{service}/tc3_request\n{}",
        utc_date(timestamp),
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Hex signature of `string_to_sign` for the scope `date/service`.
pub fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    let key = hmac(format!("TC3{secret_key}").as_bytes(), date);
    let key = hmac(&key, service);
    let key = hmac(&key, "tc3_request");
    hex::encode(hmac(&key, string_to_sign))
}

/// The `Authorization` header of a POST with this body.
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    content_type: &str,
    host: &str,
    payload: &[u8],
    timestamp: i64,
) -> String {
    let canonical = canonical_request("POST", content_type, host, payload);
    let to_sign = string_to_sign(timestamp, service, &canonical);
    let date = utc_date(timestamp);
    let signature = signature(secret_key, &date, service, &to_sign);
    format!(
        "{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, SignedHeaders={SIGNED_HEADERS}, \
         Signature={signature}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of Tencent Cloud's "签名方法 v3" document: CVM DescribeInstances in
    // ap-guangzhou at 1551113065 (2019-02-25 UTC).
    const PAYLOAD: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const CT: &str = "application/json; charset=utf-8";
    const HOST: &str = "cvm.tencentcloudapi.com";

    #[test]
    fn matches_the_published_intermediate_values() {
        assert_eq!(sha256_hex(PAYLOAD.as_bytes()), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
        let canonical = canonical_request("POST", CT, HOST, PAYLOAD.as_bytes());
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n\
             content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            string_to_sign(1551113065, "cvm", &canonical),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
    }

    /// The Chinese edition of the document publishes this signature for the example SecretKey
    /// (whose asterisks are part of the key).
    #[test]
    fn matches_the_published_signature() {
        let auth = authorization(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
            "Gu5t9xGARNpq86cd98joQYCN3*******",
            "cvm",
            CT,
            HOST,
            PAYLOAD.as_bytes(),
            1551113065,
        );
        assert_eq!(
            auth,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }

    /// The English edition publishes this one, for SecretKey "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".
    #[test]
    fn matches_the_published_english_signature() {
        let to_sign = string_to_sign(1551113065, "cvm", &canonical_request("POST", CT, HOST, PAYLOAD.as_bytes()));
        assert_eq!(
            signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", "cvm", &to_sign),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn the_date_is_utc_not_beijing() {
        // 2019-02-26 00:44:25 in Beijing is still the 25th in UTC.
        assert_eq!(utc_date(1551113065), "2019-02-25");
    }
}
