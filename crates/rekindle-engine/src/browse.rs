//! The people list an operator browses before they search: everyone the audience judged,
//! filtered by stage and tier, sorted by what they did, a page at a time. Served from the
//! folded profiles, so a page of 25,000 people costs a sort in memory, not a query.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use rekindle_core::lifecycle::{Stage, Tier};

use crate::audience::{Audience, Member};

/// What the list is ordered by; ties are broken by person id, so pages never overlap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Most recently seen first (the default).
    #[default]
    LastSeen,
    FirstSeen,
    LastOrder,
    Orders,
    Spend,
}

impl SortBy {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "last_seen" => Self::LastSeen,
            "first_seen" => Self::FirstSeen,
            "last_order" => Self::LastOrder,
            "orders" => Self::Orders,
            "spend" => Self::Spend,
            _ => return None,
        })
    }

    /// The accepted words, for an error that lists them.
    pub const WORDS: &'static str = "last_seen, first_seen, last_order, orders, spend";
}

#[derive(Debug, Clone, Default)]
pub struct Browse {
    pub stage: Option<Stage>,
    pub tier: Option<Tier>,
    pub sort: SortBy,
    /// Smallest first instead of largest (or oldest first instead of newest).
    pub ascending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// A page of the list, and how many people the filter matched in all.
pub struct Page<'a> {
    pub total: usize,
    pub members: Vec<&'a Member>,
}

impl Audience {
    pub fn browse(&self, b: &Browse) -> Page<'_> {
        let mut matched: Vec<&Member> = self
            .members
            .iter()
            .filter(|m| b.stage.is_none_or(|s| m.stage == s) && b.tier.is_none_or(|t| m.tier == t))
            .collect();
        let total = matched.len();
        // Larger first; people without the value (never ordered, say) last either way.
        let key = |m: &Member| -> (bool, i64) {
            let time = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
            let value = match b.sort {
                SortBy::LastSeen => time(m.profile.last_seen),
                SortBy::FirstSeen => time(m.profile.first_seen),
                SortBy::LastOrder => time(m.profile.last_order()),
                SortBy::Orders => Some(m.profile.order_count() as i64),
                SortBy::Spend => Some(m.profile.spend_fen()),
            };
            (value.is_some(), if b.ascending { -value.unwrap_or(0) } else { value.unwrap_or(0) })
        };
        let end = b.offset.saturating_add(b.limit).min(total);
        let order = |a: &&Member, c: &&Member| Reverse(key(a)).cmp(&Reverse(key(c))).then(a.person.cmp(&c.person));
        if b.offset < end {
            // Only the page has to be in order: partition around its end, then sort what is before.
            if end < total {
                matched.select_nth_unstable_by(end, order);
                matched.truncate(end);
            }
            matched.sort_unstable_by(order);
            matched.drain(..b.offset);
        } else {
            matched.clear();
        }
        Page { total, members: matched }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use rekindle_core::PersonId;
    use rekindle_core::profile::Profile;
    use rekindle_core::rfm::Rfm;

    use super::*;
    use crate::audience::Context;

    fn member(id: i64, stage: Stage, orders: usize, seen_day: u32) -> Member {
        let profile = Profile {
            last_seen: Some(Utc.with_ymd_and_hms(2026, 5, seen_day, 0, 0, 0).unwrap()),
            orders: (0..orders).map(|i| (Default::default(), order(i))).collect(),
            ..Profile::default()
        };
        Member {
            person: format!("00000000-0000-7000-8000-{id:012}").parse().unwrap(),
            profile: Arc::new(profile),
            stage,
            tier: Tier::Edge,
            rfm: Rfm::default(),
            tags: Arc::default(),
            segments: Arc::default(),
            scores: None,
        }
    }

    fn order(i: usize) -> rekindle_core::profile::Order {
        rekindle_core::profile::Order {
            at: Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(i as i64),
            revenue_fen: 100,
            items: Default::default(),
            session: None,
        }
    }

    fn audience(members: Vec<Member>) -> Audience {
        Audience {
            now: Utc::now(),
            members,
            context: Context::default(),
            unattributed: Arc::default(),
            memo: Default::default(),
        }
    }

    #[test]
    fn pages_partition_the_filtered_list_in_order() {
        let a = audience(
            (1..=25)
                .map(|i| {
                    member(
                        i,
                        if i % 2 == 0 { Stage::Active } else { Stage::Silent },
                        (i % 7) as usize,
                        (i % 28 + 1) as u32,
                    )
                })
                .collect(),
        );
        let all = a.browse(&Browse { sort: SortBy::Orders, limit: 100, ..Default::default() });
        assert_eq!(all.total, 25);
        let orders: Vec<usize> = all.members.iter().map(|m| m.profile.order_count()).collect();
        assert!(orders.windows(2).all(|w| w[0] >= w[1]), "largest first: {orders:?}");
        // Three pages of 10 are the whole list, in the same order.
        let paged: Vec<PersonId> = (0..3)
            .flat_map(|p| {
                a.browse(&Browse { sort: SortBy::Orders, offset: p * 10, limit: 10, ..Default::default() }).members
            })
            .map(|m| m.person)
            .collect();
        assert_eq!(paged, all.members.iter().map(|m| m.person).collect::<Vec<_>>());

        let silent = a.browse(&Browse { stage: Some(Stage::Silent), ascending: true, limit: 5, ..Default::default() });
        assert_eq!(silent.total, 13);
        assert!(silent.members.iter().all(|m| m.stage == Stage::Silent));
        let seen: Vec<_> = silent.members.iter().map(|m| m.profile.last_seen).collect();
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "oldest first: {seen:?}");
        assert!(a.browse(&Browse { offset: 30, limit: 10, ..Default::default() }).members.is_empty());
    }
}
