//! Who invited whom, once resolved: the counts rules read (`invited`, `invited_by`), the
//! rewards due, and the leaderboard of inviters (seed 003's KOC / 体验官 programme).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Invitation, Occasion};
use crate::PersonId;

/// An invitation resolved to its inviter (self-referrals already refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub invitee: PersonId,
    pub inviter: PersonId,
    pub invitation: Invitation,
    /// When the inviter became known by what the invitation names (an openid linked later
    /// than the friend's order): a reward cannot be earned before.
    pub known_at: DateTime<Utc>,
}

/// A reward earned: the invitee's occasion, and whom it also pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualified {
    pub invitee: PersonId,
    pub inviter: PersonId,
    pub occasion: Occasion,
    /// When it was earned: the first order, or the invitation that came with the group join,
    /// or, if later, when the inviter became known.
    pub at: DateTime<Utc>,
}

/// One inviter's row on the leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inviter {
    pub person: PersonId,
    /// Friends attributed to them.
    pub invited: u32,
    /// Of those, friends who ordered after the invitation.
    pub converted: u32,
    /// What those friends spent, net of refunds, in fen.
    pub revenue_fen: i64,
    /// When their latest friend arrived.
    pub latest: DateTime<Utc>,
}

/// Every resolved invitation of a workspace.
#[derive(Debug, Clone, Default)]
pub struct Board {
    by_invitee: HashMap<PersonId, Pair>,
    invited: HashMap<PersonId, u32>,
}

impl Board {
    pub fn new(pairs: impl IntoIterator<Item = Pair>) -> Self {
        let mut board = Self::default();
        for p in pairs {
            *board.invited.entry(p.inviter).or_default() += 1;
            board.by_invitee.insert(p.invitee, p);
        }
        board
    }

    /// How many friends `person` has invited.
    pub fn invited(&self, person: PersonId) -> u32 {
        self.invited.get(&person).copied().unwrap_or(0)
    }

    /// Who invited `person`.
    pub fn inviter_of(&self, person: PersonId) -> Option<PersonId> {
        self.by_invitee.get(&person).map(|p| p.inviter)
    }

    /// The friends `inviter` invited, in no order.
    pub fn friends(&self, inviter: PersonId) -> impl Iterator<Item = &Pair> {
        self.by_invitee.values().filter(move |p| p.inviter == inviter)
    }

    pub fn pair(&self, invitee: PersonId) -> Option<&Pair> {
        self.by_invitee.get(&invitee)
    }

    pub fn len(&self) -> usize {
        self.by_invitee.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_invitee.is_empty()
    }

    /// The rewards earned, given each invitee's first order time.
    pub fn qualified<'a>(
        &'a self,
        first_order: impl Fn(PersonId) -> Option<DateTime<Utc>> + 'a,
    ) -> impl Iterator<Item = Qualified> + 'a {
        self.by_invitee.values().flat_map(move |p| {
            let first = first_order(p.invitee);
            p.invitation.occasions(first).map(move |occasion| Qualified {
                invitee: p.invitee,
                inviter: p.inviter,
                occasion,
                at: match occasion {
                    Occasion::FirstOrder => first.expect("a first order occasion has one").max(p.invitation.at),
                    Occasion::GroupJoined => p.invitation.at,
                }
                .max(p.known_at),
            })
        })
    }

    /// Inviters, most converted friends first (then most invited, most revenue), given each
    /// invitee's first order time and net spend.
    pub fn leaderboard(&self, bought: impl Fn(PersonId) -> Option<(DateTime<Utc>, i64)>) -> Vec<Inviter> {
        let mut rows: HashMap<PersonId, Inviter> = HashMap::new();
        for p in self.by_invitee.values() {
            let row = rows.entry(p.inviter).or_insert(Inviter {
                person: p.inviter,
                invited: 0,
                converted: 0,
                revenue_fen: 0,
                latest: p.invitation.at,
            });
            row.invited += 1;
            row.latest = row.latest.max(p.invitation.at);
            if let Some((first, spend)) = bought(p.invitee)
                && p.invitation.precedes(first)
            {
                row.converted += 1;
                row.revenue_fen += spend;
            }
        }
        let mut rows: Vec<Inviter> = rows.into_values().collect();
        rows.sort_by(|a, b| {
            (b.converted, b.invited, b.revenue_fen)
                .cmp(&(a.converted, a.invited, a.revenue_fen))
                .then(a.person.cmp(&b.person))
        });
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> PersonId {
        PersonId(uuid::Uuid::from_u128(n))
    }
    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    fn pair(invitee: u128, inviter: u128, when: &str, group: bool) -> Pair {
        let invitation = Invitation { at: at(when), by: "x".into(), group };
        Pair { invitee: id(invitee), inviter: id(inviter), known_at: invitation.at, invitation }
    }

    #[test]
    fn counts_rewards_and_the_leaderboard() {
        let board = Board::new([
            pair(10, 1, "2026-05-01T00:00:00Z", false),
            pair(11, 1, "2026-05-02T00:00:00Z", true),
            pair(12, 2, "2026-05-03T00:00:00Z", false),
        ]);
        assert_eq!((board.invited(id(1)), board.invited(id(2)), board.invited(id(10))), (2, 1, 0));
        assert_eq!(board.inviter_of(id(11)), Some(id(1)));
        let first = |p: PersonId| match p {
            p if p == id(10) => Some(at("2026-05-04T00:00:00Z")),
            // Ordered before being invited: not a referred customer.
            p if p == id(12) => Some(at("2026-04-01T00:00:00Z")),
            _ => None,
        };
        let mut got: Vec<_> = board.qualified(first).map(|q| (q.invitee, q.inviter, q.occasion)).collect();
        got.sort_by_key(|(invitee, _, o)| (*invitee, o.as_str()));
        assert_eq!(got, [(id(10), id(1), Occasion::FirstOrder), (id(11), id(1), Occasion::GroupJoined)]);

        let rows = board.leaderboard(|p| first(p).map(|t| (t, 8_800)));
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].person, rows[0].invited, rows[0].converted, rows[0].revenue_fen), (id(1), 2, 1, 8_800));
        assert_eq!((rows[1].person, rows[1].invited, rows[1].converted), (id(2), 1, 0));
    }
}
