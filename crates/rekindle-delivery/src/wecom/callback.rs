//! The WeCom callback URL: its signature and AES crypto (WeCom's "加解密方案"), and the
//! customer-contact and 微信客服 events it delivers.
//!
//! - `msg_signature` = hex SHA1 of the sorted concatenation of Token, timestamp, nonce and the
//!   encrypted message.
//! - The message is AES-256-CBC with key = base64(EncodingAESKey + "="), IV = the key's first 16
//!   bytes, padded PKCS#7-style to 32-byte blocks; the plaintext is 16 random bytes, the
//!   message's length (4 bytes, big-endian), the message, and the receiver id (the corp id).

use std::fmt;

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use serde::Deserialize;
use sha1::{Digest, Sha1};

pub use super::event::{ContactEvent, FailReason, KfEvent, parse_event, parse_kf_event};
use crate::Secret;

/// WeCom's EncodingAESKey is 43 characters whose last one carries two stray bits, so the decoder
/// must allow trailing bits; padding is added by us or absent.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// WeCom pads to 32 bytes, not AES's 16.
const BLOCK: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the EncodingAESKey must be 43 base64 characters")]
    BadKey,
    #[error("msg_signature does not match")]
    BadSignature,
    #[error("malformed callback: {0}")]
    Malformed(&'static str),
    #[error("the message is addressed to another receiver")]
    WrongReceiver,
}

/// The crypto of one callback URL.
#[derive(Clone)]
pub struct WecomCrypto {
    token: Secret,
    key: [u8; 32],
    receive_id: String,
}

impl fmt::Debug for WecomCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WecomCrypto").field("receive_id", &self.receive_id).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Encrypt")]
    encrypt: String,
}

impl WecomCrypto {
    /// `receive_id` is the corp id for a self-built app.
    pub fn new(token: &str, encoding_aes_key: &str, receive_id: &str) -> Result<Self, CallbackError> {
        if encoding_aes_key.len() != 43 {
            return Err(CallbackError::BadKey);
        }
        let key = LENIENT.decode(format!("{encoding_aes_key}=")).map_err(|_| CallbackError::BadKey)?;
        let key: [u8; 32] = key.try_into().map_err(|_| CallbackError::BadKey)?;
        Ok(Self { token: Secret::new(token), key, receive_id: receive_id.to_string() })
    }

    /// `msg_signature` for these values.
    pub fn signature(&self, timestamp: &str, nonce: &str, encrypted: &str) -> String {
        let mut parts = [self.token.expose(), timestamp, nonce, encrypted];
        parts.sort_unstable();
        hex::encode(Sha1::digest(parts.concat().as_bytes()))
    }

    /// The URL check WeCom makes when the callback is configured: the decrypted `echostr` is
    /// the answer to give.
    pub fn verify_url(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &str,
    ) -> Result<String, CallbackError> {
        self.check(msg_signature, timestamp, nonce, echostr)?;
        self.open(echostr)
    }

    /// The plaintext XML of a callback whose body is `<xml>…<Encrypt>…</Encrypt>…</xml>`.
    pub fn decrypt(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        body_xml: &str,
    ) -> Result<String, CallbackError> {
        let envelope: Envelope =
            quick_xml::de::from_str(body_xml).map_err(|_| CallbackError::Malformed("no <Encrypt> element"))?;
        self.check(msg_signature, timestamp, nonce, &envelope.encrypt)?;
        self.open(&envelope.encrypt)
    }

    /// An encrypted, signed reply (or test callback) body, as WeCom's own library writes it.
    pub fn encrypt(&self, plain: &str, timestamp: &str, nonce: &str) -> String {
        let encrypted = self.seal(plain);
        let signature = self.signature(timestamp, nonce, &encrypted);
        format!(
            "<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature>\
             <TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
    }

    /// The base64 ciphertext of `plain` (the `Encrypt` element's text).
    pub fn seal(&self, plain: &str) -> String {
        let mut buf = Vec::with_capacity(20 + plain.len() + self.receive_id.len() + BLOCK);
        buf.extend_from_slice(&rand::random::<[u8; 16]>());
        buf.extend_from_slice(&(plain.len() as u32).to_be_bytes());
        buf.extend_from_slice(plain.as_bytes());
        buf.extend_from_slice(self.receive_id.as_bytes());
        let pad = BLOCK - buf.len() % BLOCK;
        buf.resize(buf.len() + pad, pad as u8);
        let len = buf.len();
        let cipher = cbc::Encryptor::<Aes256>::new_from_slices(&self.key, &self.key[..16]).expect("32-byte key");
        let sealed = cipher.encrypt_padded_mut::<NoPadding>(&mut buf, len).expect("whole blocks");
        STANDARD.encode(sealed)
    }

    fn check(&self, msg_signature: &str, timestamp: &str, nonce: &str, encrypted: &str) -> Result<(), CallbackError> {
        let expected = self.signature(timestamp, nonce, encrypted);
        if same(expected.as_bytes(), msg_signature.trim().to_ascii_lowercase().as_bytes()) {
            Ok(())
        } else {
            Err(CallbackError::BadSignature)
        }
    }

    fn open(&self, encrypted: &str) -> Result<String, CallbackError> {
        let mut buf = LENIENT.decode(encrypted.trim()).map_err(|_| CallbackError::Malformed("not base64"))?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(CallbackError::Malformed("not whole AES blocks"));
        }
        let cipher = cbc::Decryptor::<Aes256>::new_from_slices(&self.key, &self.key[..16]).expect("32-byte key");
        let plain = cipher
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CallbackError::Malformed("not whole AES blocks"))?;
        let pad = usize::from(*plain.last().expect("not empty"));
        if !(1..=BLOCK).contains(&pad)
            || pad > plain.len()
            || plain[plain.len() - pad..].iter().any(|&b| usize::from(b) != pad)
        {
            return Err(CallbackError::Malformed("bad padding"));
        }
        let content = &plain[..plain.len() - pad];
        if content.len() < 20 {
            return Err(CallbackError::Malformed("too short"));
        }
        let len = u32::from_be_bytes(content[16..20].try_into().expect("4 bytes")) as usize;
        let rest = &content[20..];
        if len > rest.len() {
            return Err(CallbackError::Malformed("length beyond the message"));
        }
        let (message, receive_id) = rest.split_at(len);
        if receive_id != self.receive_id.as_bytes() {
            return Err(CallbackError::WrongReceiver);
        }
        String::from_utf8(message.to_vec()).map_err(|_| CallbackError::Malformed("not UTF-8"))
    }
}

/// Compare without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // The sample in WeCom's official WXBizMsgCrypt libraries (Sample.cs / Sample.java):
    // Token "QDG6eK", EncodingAESKey "jWmY…B2C", CorpID "wx5823bf96d3bd56c7".
    fn sample() -> WecomCrypto {
        WecomCrypto::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7").unwrap()
    }

    #[test]
    fn verifies_the_published_url_check() {
        let echostr = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
        let echo = sample().verify_url("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", echostr);
        assert_eq!(echo.unwrap(), "1616140317555161061");
        let forged =
            sample().verify_url("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4", "1409659589", "263014780", echostr);
        assert_eq!(forged, Err(CallbackError::BadSignature));
    }

    #[test]
    fn decrypts_the_published_callback() {
        let body = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";
        let plain = sample().decrypt("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", body);
        // The same plaintext Python's `cryptography` AES gives for this ciphertext.
        assert_eq!(
            plain.unwrap(),
            "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n\
             <FromUserName><![CDATA[mycreate]]></FromUserName>\n\
             <CreateTime>1409659813</CreateTime>\n\
             <MsgType><![CDATA[text]]></MsgType>\n\
             <Content><![CDATA[hello]]></Content>\n\
             <MsgId>4561255354251345929</MsgId>\n\
             <AgentID>218</AgentID>\n\
             </xml>"
        );
    }

    #[test]
    fn round_trips_with_chinese_and_checks_the_receiver() {
        let crypto = sample();
        let plain = "<xml><Content><![CDATA[这是一个中文测试 a test]]></Content></xml>";
        let reply = crypto.encrypt(plain, "1409659813", "1372623149");
        let signature = reply.split("<MsgSignature><![CDATA[").nth(1).unwrap().split(']').next().unwrap();
        assert_eq!(crypto.decrypt(signature, "1409659813", "1372623149", &reply).unwrap(), plain);

        let other = WecomCrypto::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "ww-other").unwrap();
        let sealed = other.seal(plain);
        let signature = crypto.signature("1", "2", &sealed);
        let body = format!("<xml><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>");
        assert_eq!(crypto.decrypt(&signature, "1", "2", &body), Err(CallbackError::WrongReceiver));
    }

    #[test]
    fn pads_to_32_byte_blocks() {
        let crypto = sample();
        // 16 + 4 + 12 + 18 = 50 bytes: one 32-byte block and 14 of padding make 64.
        let sealed = STANDARD.decode(crypto.seal("twelve bytes")).unwrap();
        assert_eq!(sealed.len(), 64);
    }

    #[test]
    fn refuses_bad_keys_and_debug_hides_the_token() {
        assert_eq!(WecomCrypto::new("t", "short", "c").err(), Some(CallbackError::BadKey));
        let shown = format!("{:?}", sample());
        assert!(!shown.contains("QDG6eK") && !shown.contains("jWmY"), "{shown}");
    }
}
