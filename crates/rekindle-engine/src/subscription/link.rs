//! Signed answer links (docs/subscriptions.md, "The link"): a token naming one shipment of one
//! subscription of one workspace until an expiry, signed with HMAC-SHA256 under the
//! deployment's secret, so the page it opens needs no login and cannot be pointed elsewhere.
//!
//! The token is `base64url(payload) "." base64url(mac)`, the payload
//! `"{workspace}|{expires unix seconds}|{ship_on}|{subscription id}"` (the id last: it may hold
//! any character).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use rekindle_core::WorkspaceId;
use sha2::Sha256;

/// What a link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub ws: WorkspaceId,
    pub subscription_id: String,
    pub ship_on: NaiveDate,
    pub expires: DateTime<Utc>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadToken {
    /// Not a token at all, or not signed by this deployment (tampered with).
    Invalid,
    Expired,
}

impl BadToken {
    pub fn zh(self) -> &'static str {
        match self {
            Self::Invalid => "链接无效或已被修改，请使用消息中的原始链接",
            Self::Expired => "链接已过期",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Self::Invalid => "the link is not valid or was altered",
            Self::Expired => "the link has expired",
        }
    }
}

/// Longest token read (a subscription id is at most a few hundred bytes).
const MAX_TOKEN: usize = 2048;

/// Signs and reads answer links; `base` is the public address the page is served under
/// (`https://shop.example`), empty for a path alone.
#[derive(Clone)]
pub struct Links {
    secret: Vec<u8>,
    base: String,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links").field("base", &self.base).finish_non_exhaustive()
    }
}

impl Links {
    pub fn new(secret: &[u8], base: &str) -> Self {
        Self { secret: secret.to_vec(), base: base.trim_end_matches('/').to_owned() }
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        mac.update(payload);
        mac
    }

    pub fn token(&self, claim: &Claim) -> String {
        let payload =
            format!("{}|{}|{}|{}", claim.ws.0, claim.expires.timestamp(), claim.ship_on, claim.subscription_id);
        let sig = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(sig))
    }

    /// The page's address for a claim.
    pub fn url(&self, claim: &Claim) -> String {
        format!("{}/s/{}", self.base, self.token(claim))
    }

    /// What a token names, if this deployment signed it and it has not expired at `now`.
    pub fn read(&self, token: &str, now: DateTime<Utc>) -> Result<Claim, BadToken> {
        if token.len() > MAX_TOKEN {
            return Err(BadToken::Invalid);
        }
        let (payload, sig) = token.split_once('.').ok_or(BadToken::Invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| BadToken::Invalid)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| BadToken::Invalid)?;
        // Constant-time comparison.
        self.mac(&payload).verify_slice(&sig).map_err(|_| BadToken::Invalid)?;
        let payload = String::from_utf8(payload).map_err(|_| BadToken::Invalid)?;
        let mut parts = payload.splitn(4, '|');
        let mut next = || parts.next().ok_or(BadToken::Invalid);
        let ws = WorkspaceId(next()?.parse().map_err(|_| BadToken::Invalid)?);
        let expires = next()?.parse().ok().and_then(|s| DateTime::from_timestamp(s, 0)).ok_or(BadToken::Invalid)?;
        let ship_on = next()?.parse().map_err(|_| BadToken::Invalid)?;
        let subscription_id = next()?.to_owned();
        if now >= expires {
            return Err(BadToken::Expired);
        }
        Ok(Claim { ws, subscription_id, ship_on, expires })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_until_it_expires_and_not_once_altered() {
        let links = Links::new(b"secret", "https://shop.example/");
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let claim = Claim {
            ws: WorkspaceId(7),
            subscription_id: "sub|1.x".into(),
            ship_on: "2027-01-08".parse().unwrap(),
            expires: t("2027-01-10T00:00:00Z"),
        };
        let url = links.url(&claim);
        assert!(url.starts_with("https://shop.example/s/"), "{url}");
        let token = links.token(&claim);
        assert_eq!(links.read(&token, t("2027-01-09T00:00:00Z")), Ok(claim.clone()));
        assert_eq!(links.read(&token, t("2027-01-10T00:00:00Z")), Err(BadToken::Expired));
        // Another deployment's, or one character changed in either half: refused.
        assert_eq!(Links::new(b"other", "").read(&token, t("2027-01-09T00:00:00Z")), Err(BadToken::Invalid));
        let (payload, sig) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD
            .encode(String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap().replacen("7|", "8|", 1));
        assert_eq!(links.read(&format!("{forged}.{sig}"), t("2027-01-09T00:00:00Z")), Err(BadToken::Invalid));
        for bad in ["", ".", "abc", "a.b", &"x".repeat(5000)] {
            assert_eq!(links.read(bad, t("2027-01-09T00:00:00Z")), Err(BadToken::Invalid), "{bad}");
        }
    }
}
