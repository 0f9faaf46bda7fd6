use std::collections::BTreeMap;

use crate::IdentifierKind;

/// How many identifiers of one kind one person may hold. Guards against over-merging: a
/// family's shared phone must not fuse a whole community into one person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityPolicy {
    pub limits: BTreeMap<IdentifierKind, usize>,
}

impl IdentityPolicy {
    pub fn limit(&self, kind: IdentifierKind) -> usize {
        self.limits.get(&kind).copied().unwrap_or(usize::MAX)
    }
}

impl Default for IdentityPolicy {
    fn default() -> Self {
        use IdentifierKind::*;
        Self {
            limits: BTreeMap::from([
                (UserId, 1),
                (WechatUnionid, 1),
                (Phone, 3),
                (WecomExternalUserid, 5),
                (WechatOpenid, 10),
                (PreviousId, 100),
                (AnonymousId, 100),
            ]),
        }
    }
}
