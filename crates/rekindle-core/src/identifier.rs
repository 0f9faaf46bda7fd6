//! The identifiers OneID links into one person.

use std::fmt;
use std::str::FromStr;

use crate::{FieldError, phone};

/// Longest identifier value accepted, in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 256;

/// A kind of identifier. The order of the variants is their precedence: when a message's
/// identifiers point at people that cannot be merged, the event belongs to the person of the
/// first kind present (see [`crate::identity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// Segment `userId`: the operator's own stable customer id.
    UserId,
    /// `wechat_unionid`: one WeChat user across the operator's official accounts and mini-programs.
    WechatUnionid,
    /// `phone`, normalised to E.164.
    Phone,
    /// `wecom_external_userid`: the customer as a WeCom (企业微信) external contact.
    WecomExternalUserid,
    /// `wechat_openid`: the WeChat user within one app (mini-program or official account).
    WechatOpenid,
    /// Segment `alias.previousId`: either an earlier userId or an anonymousId; it matches both.
    PreviousId,
    /// Segment `anonymousId`: a device or browser before the person is known.
    AnonymousId,
}

impl IdentifierKind {
    /// Every kind, in declaration order: the identity graph keeps one map per kind, indexed by
    /// `kind as usize`.
    pub const ALL: [IdentifierKind; 7] = [
        Self::UserId,
        Self::WechatUnionid,
        Self::Phone,
        Self::WecomExternalUserid,
        Self::WechatOpenid,
        Self::PreviousId,
        Self::AnonymousId,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserId => "user_id",
            Self::WechatUnionid => "wechat_unionid",
            Self::Phone => "phone",
            Self::WecomExternalUserid => "wecom_external_userid",
            Self::WechatOpenid => "wechat_openid",
            Self::PreviousId => "previous_id",
            Self::AnonymousId => "anonymous_id",
        }
    }

    /// Identify traits that carry an identifier, by trait name.
    pub const TRAIT_KINDS: [IdentifierKind; 4] =
        [Self::Phone, Self::WechatOpenid, Self::WechatUnionid, Self::WecomExternalUserid];

    /// The kinds whose identifiers an identifier of this kind matches when looking a person up.
    /// `previous_id` exists because Segment's `alias` does not say whether `previousId` was a
    /// userId or an anonymousId: it matches either, and either matches it, whatever order the
    /// messages arrive in.
    pub fn match_kinds(self) -> &'static [IdentifierKind] {
        match self {
            Self::UserId => &[Self::UserId, Self::PreviousId],
            Self::AnonymousId => &[Self::AnonymousId, Self::PreviousId],
            Self::PreviousId => &[Self::PreviousId, Self::UserId, Self::AnonymousId],
            Self::WechatUnionid => &[Self::WechatUnionid],
            Self::Phone => &[Self::Phone],
            Self::WecomExternalUserid => &[Self::WecomExternalUserid],
            Self::WechatOpenid => &[Self::WechatOpenid],
        }
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IdentifierKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown identifier kind {s:?}"))
    }
}

/// One identifier: a kind and a normalised value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

impl Identifier {
    /// Parse a raw value of a known kind; `field` names where it came from, for the error.
    pub fn parse(kind: IdentifierKind, raw: &str, field: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if trimmed.len() > MAX_IDENTIFIER_LEN {
            return Err(FieldError::new(field, format!("longer than {MAX_IDENTIFIER_LEN} bytes")));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldError::new(field, "contains control characters"));
        }
        let value = match kind {
            IdentifierKind::Phone => phone::parse_field(field, trimmed)?,
            _ => trimmed.to_string(),
        };
        Ok(Self { kind, value })
    }

    /// Parse `kind:value` as typed on the command line or in a URL (`phone:138 1234 5678`).
    pub fn parse_qualified(s: &str) -> Option<Result<Self, FieldError>> {
        let (kind, value) = s.split_once(':')?;
        let kind = kind.parse::<IdentifierKind>().ok()?;
        Some(Self::parse(kind, value, kind.as_str()))
    }

    /// The same value under another kind, for lookups through [`IdentifierKind::match_kinds`].
    pub fn as_kind(&self, kind: IdentifierKind) -> Identifier {
        Identifier { kind, value: self.value.clone() }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_at_its_own_index() {
        for (i, kind) in IdentifierKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "{kind:?}");
        }
    }

    #[test]
    fn qualified_identifiers_parse_and_normalise() {
        let id = Identifier::parse_qualified("phone:138 1234 5678").unwrap().unwrap();
        assert_eq!(id.to_string(), "phone:+8613812345678");
        assert!(Identifier::parse_qualified("nope:1").is_none());
        assert!(Identifier::parse_qualified("user_id:").unwrap().is_err());
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in IdentifierKind::ALL {
            assert_eq!(k.as_str().parse::<IdentifierKind>(), Ok(k));
        }
    }
}
