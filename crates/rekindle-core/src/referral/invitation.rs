//! What an event says about who invited the person.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::events;

/// Longest inviter reference kept; anything longer is no identifier or code anyone shares.
pub const MAX_BY_LEN: usize = 128;

/// How long after their first order an invitation may still arrive and count: mini-programs
/// often register the share parameter just after checkout.
pub const LATE_BY: Duration = Duration::hours(24);

/// The earliest invitation a person carries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Invitation {
    pub at: DateTime<Utc>,
    /// The inviter as the event named them: an identifier value or a referral code.
    pub by: Box<str>,
    /// It came with joining a group (`Group Joined`): seed 002's "invite a friend into the group".
    pub group: bool,
}

/// What an invitation earns a reward on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    /// The invitee's first order.
    FirstOrder,
    /// The invitee joined a group on the invitation.
    GroupJoined,
}

impl Occasion {
    pub const ALL: [Occasion; 2] = [Self::FirstOrder, Self::GroupJoined];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstOrder => "first_order",
            Self::GroupJoined => "group_joined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Its bit in a profile's `referral_qualified`.
    pub fn bit(self) -> u8 {
        match self {
            Self::FirstOrder => 1,
            Self::GroupJoined => 2,
        }
    }
}

impl Invitation {
    /// The invitation an event carries: `invited_by` in an identify's traits or any event's
    /// properties, or `referral_code` in its properties.
    pub fn of(name: &str, properties: &Value, at: DateTime<Utc>) -> Option<Self> {
        let by = ["invited_by", "referral_code"].iter().find_map(|k| match properties.get(*k)? {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })?;
        if by.is_empty() || by.len() > MAX_BY_LEN || by.chars().any(char::is_control) {
            return None;
        }
        Some(Self { at, by: by.into(), group: name == events::GROUP_JOINED })
    }

    /// Keep the earlier of two; on a tie the smaller, so arrival order never matters.
    pub fn earliest(kept: &mut Option<Box<Self>>, new: Self) {
        if kept.as_deref().is_none_or(|k| new < *k) {
            *kept = Some(Box::new(new));
        }
    }

    /// Whether the invitation made the person's first order (at `first_order`) a referred one:
    /// it came before, or at most [`LATE_BY`] after.
    pub fn precedes(&self, first_order: DateTime<Utc>) -> bool {
        self.at <= first_order + LATE_BY
    }

    /// The occasions this invitation earns a reward on, for a person whose first order (if
    /// any) was at `first_order`.
    pub fn occasions(&self, first_order: Option<DateTime<Utc>>) -> impl Iterator<Item = Occasion> {
        let group = self.group.then_some(Occasion::GroupJoined);
        let order = first_order.filter(|at| self.precedes(*at)).map(|_| Occasion::FirstOrder);
        group.into_iter().chain(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn invitations_come_from_invited_by_or_a_code() {
        let t = at("2026-05-01T00:00:00Z");
        let a = Invitation::of("identify", &json!({"invited_by": " oX1 "}), t).unwrap();
        assert_eq!((&*a.by, a.group), ("oX1", false));
        let b = Invitation::of(events::GROUP_JOINED, &json!({"referral_code": "K7M2Q9XA"}), t).unwrap();
        assert_eq!((&*b.by, b.group), ("K7M2Q9XA", true));
        assert_eq!(&*Invitation::of("x", &json!({"invited_by": 42}), t).unwrap().by, "42");
        for bad in
            [json!({}), json!({"invited_by": ""}), json!({"invited_by": {"a": 1}}), json!({"invited_by": "a\u{0}b"})]
        {
            assert_eq!(Invitation::of("x", &bad, t), None, "{bad}");
        }
        assert_eq!(Invitation::of("x", &json!({"invited_by": "a".repeat(129)}), t), None);
    }

    #[test]
    fn the_earliest_invitation_is_kept_whatever_the_order() {
        let one = Invitation { at: at("2026-05-01T00:00:00Z"), by: "b".into(), group: false };
        let two = Invitation { at: at("2026-05-02T00:00:00Z"), by: "a".into(), group: true };
        let tie = Invitation { at: at("2026-05-01T00:00:00Z"), by: "a".into(), group: false };
        for order in [[&one, &two, &tie], [&tie, &two, &one], [&two, &one, &tie]] {
            let mut kept = None;
            for i in order {
                Invitation::earliest(&mut kept, i.clone());
            }
            assert_eq!(kept.as_deref(), Some(&tie));
        }
    }

    #[test]
    fn a_first_order_counts_when_the_invitation_came_first_or_just_after() {
        let inv = Invitation { at: at("2026-05-02T00:00:00Z"), by: "x".into(), group: true };
        let occ = |first: Option<&str>| inv.occasions(first.map(at)).collect::<Vec<_>>();
        assert_eq!(occ(None), [Occasion::GroupJoined]);
        assert_eq!(occ(Some("2026-05-03T00:00:00Z")), [Occasion::GroupJoined, Occasion::FirstOrder]);
        assert_eq!(occ(Some("2026-05-01T01:00:00Z")), [Occasion::GroupJoined, Occasion::FirstOrder]);
        // A customer long before the invitation is no referred customer.
        assert_eq!(occ(Some("2026-04-20T00:00:00Z")), [Occasion::GroupJoined]);
    }
}
