//! Aliyun's RPC signature, version 1.0 (HMAC-SHA1).
//!
//! StringToSign = METHOD + "&" + enc("/") + "&" + enc(canonicalized query), where the canonicalized
//! query is the parameters sorted by name, each `enc(name)=enc(value)`, joined by "&"; enc is
//! RFC 3986 percent-encoding of UTF-8 with only `A-Z a-z 0-9 - _ . ~` left as they are (so a space
//! is `%20`, `*` is `%2A`, `~` stays). Signature = base64(HMAC-SHA1(secret + "&", StringToSign)).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Aliyun's percent-encoding.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The parameters sorted by name and encoded: also the form body that is sent.
pub fn canonicalized_query(params: &BTreeMap<String, String>) -> String {
    params.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

pub fn string_to_sign(method: &str, canonicalized: &str) -> String {
    format!("{method}&{}&{}", percent_encode("/"), percent_encode(canonicalized))
}

/// The `Signature` parameter for `params` (which must not contain it).
pub fn signature(access_key_secret: &str, method: &str, params: &BTreeMap<String, String>) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{access_key_secret}&").as_bytes()).expect("any key length");
    mac.update(string_to_sign(method, &canonicalized_query(params)).as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// The worked example of Aliyun's "RPC 签名机制" document (ECS DescribeRegions).
    #[test]
    fn matches_the_published_describe_regions_example() {
        let p = params(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]);
        assert_eq!(
            string_to_sign("GET", &canonicalized_query(&p)),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1\
             %26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0\
             %26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(signature("testsecret", "GET", &p), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    /// The SendSms example of the SMS product's signature document, with a Chinese SignName.
    #[test]
    fn matches_the_published_send_sms_example() {
        let p = params(&[
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]);
        assert_eq!(signature("testSecret", "GET", &p), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
    }

    #[test]
    fn encodes_the_way_aliyun_documents() {
        assert_eq!(percent_encode("a b*c~d+e/f"), "a%20b%2Ac~d%2Be%2Ff");
        assert_eq!(percent_encode("回"), "%E5%9B%9E");
        assert_eq!(percent_encode("-_.~AZaz09"), "-_.~AZaz09");
    }
}
