//! No self-referral: an inviter and invitee who share a phone, a WeChat unionid or a device
//! are one household or one person with two accounts, and earn nothing.
//!
//! OneID keeps such people apart when merging would fuse a family (the bounded merge), so
//! the guard looks at the identifiers themselves rather than trusting that they were merged.

use crate::{Identifier, IdentifierKind};

/// The kinds that, shared, mean one person or one household.
const SHARED_KINDS: [IdentifierKind; 3] =
    [IdentifierKind::Phone, IdentifierKind::WechatUnionid, IdentifierKind::AnonymousId];

/// The identifier the two share that makes it a self-referral, if any.
pub fn self_referral<'a>(inviter: &'a [Identifier], invitee: &[Identifier]) -> Option<&'a Identifier> {
    inviter.iter().filter(|i| SHARED_KINDS.contains(&i.kind)).find(|i| invitee.contains(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: IdentifierKind, v: &str) -> Identifier {
        Identifier { kind, value: v.into() }
    }

    #[test]
    fn a_shared_phone_unionid_or_device_is_a_self_referral() {
        let inviter = [id(IdentifierKind::UserId, "m1"), id(IdentifierKind::Phone, "+8613800000001")];
        let invitee = [id(IdentifierKind::UserId, "m2"), id(IdentifierKind::Phone, "+8613800000001")];
        assert_eq!(self_referral(&inviter, &invitee), Some(&inviter[1]));
        let device = [id(IdentifierKind::AnonymousId, "dev-1")];
        assert!(self_referral(&device, &device).is_some());
        let union = [id(IdentifierKind::WechatUnionid, "un1")];
        assert!(self_referral(&union, &union).is_some());
    }

    #[test]
    fn friends_who_share_nothing_that_matters_are_fine() {
        // The same staff member's contact or an order system's ids say nothing about a household.
        let inviter = [id(IdentifierKind::UserId, "m1"), id(IdentifierKind::WechatOpenid, "o1")];
        let invitee = [id(IdentifierKind::UserId, "m2"), id(IdentifierKind::WechatOpenid, "o2")];
        assert_eq!(self_referral(&inviter, &invitee), None);
    }
}
