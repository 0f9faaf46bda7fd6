//! One customer's friendships with staff members, folded from `Contact Added` /
//! `Contact Removed` in any arrival order.

use chrono::{DateTime, Utc};
use serde::Serialize;

use serde_json::Value;

use crate::events;
use crate::profile::Text;
use crate::profile::sorted;

/// Who ended a friendship. Ordered so that two removals at the same instant fold the same way
/// whichever arrives first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovedBy {
    /// The event did not say (older integrations).
    Unknown,
    /// The customer deleted the staff member (WeCom `del_follow_user`).
    Customer,
    /// The staff member deleted the customer (`del_external_contact`).
    Staff,
    /// Handed to another staff member (在职转接 / 离职继承).
    Transfer,
}

impl RemovedBy {
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("customer") => Self::Customer,
            Some("staff") => Self::Staff,
            Some("transfer") => Self::Transfer,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Customer => "customer",
            Self::Staff => "staff",
            Self::Transfer => "transfer",
        }
    }
}

/// One staff member's friendship with the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// The first time the staff member was added.
    pub since: Option<DateTime<Utc>>,
    /// The latest add: a customer who removed and added again is a friend from here.
    pub added: Option<DateTime<Utc>>,
    /// The latest removal and who made it.
    pub removed: Option<(DateTime<Utc>, RemovedBy)>,
    /// The first add's `source` and channel `code` (read through [`Link::origin`]).
    origin: Option<(DateTime<Utc>, Text, Option<Text>)>,
}

impl Link {
    /// The first add, with its `source` and channel `code`.
    pub fn origin(&self) -> Option<(DateTime<Utc>, &'static str, Option<&'static str>)> {
        self.origin.map(|(at, source, code)| (at, source.as_str(), code.map(Text::as_str)))
    }

    /// A friend now: added after the latest removal (a removal at the same instant wins, so
    /// the answer does not depend on which event arrived first).
    fn alive_after(&self, cut: Option<DateTime<Utc>>) -> bool {
        let ended = self.removed.map(|(t, _)| t).max(cut);
        self.added.is_some_and(|a| ended.is_none_or(|r| a > r))
    }

    fn merge(&mut self, other: &Link) {
        self.since = earlier(self.since, other.since);
        self.added = self.added.max(other.added);
        self.removed = self.removed.max(other.removed);
        if let Some(o) = other.origin {
            self.origin = Some(self.origin.map_or(o, |s| s.min(o)));
        }
    }
}

fn earlier(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Every staff member the customer is or was a friend of, by staff id, sorted. Events that
/// name no staff member (older integrations) keep the entry `""`; a removal naming nobody ends
/// every friendship added before it, as it did when Rekindle knew only "reachable or not".
/// Staff ids are interned, and the friendships a boxed slice (see [`sorted`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relationships(Box<[(Text, Link)]>);

impl Relationships {
    fn entry(&mut self, staff: &str) -> &mut Link {
        let i = match self.0.binary_search_by(|(s, _)| s.as_str().cmp(staff)) {
            Ok(i) => i,
            Err(i) => {
                sorted::insert(&mut self.0, i, (Text::new(staff), Link::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    fn get(&self, staff: &str) -> Option<&Link> {
        self.0.binary_search_by(|(s, _)| s.as_str().cmp(staff)).ok().map(|i| &self.0[i].1)
    }

    /// A removal naming nobody cuts every friendship.
    fn cut(&self) -> Option<DateTime<Utc>> {
        self.get("").and_then(|l| l.removed).map(|(t, _)| t)
    }

    /// `staff` added at `at`. A friendship handed over (transfer) says `since`: when the
    /// customer's friendship with the handing-over staff member began, so ownership carries.
    pub fn added(
        &mut self,
        staff: &str,
        at: DateTime<Utc>,
        since: Option<DateTime<Utc>>,
        source: &str,
        code: Option<&str>,
    ) {
        let link = self.entry(staff);
        link.since = earlier(link.since, Some(since.map_or(at, |s| s.min(at))));
        link.added = link.added.max(Some(at));
        let origin = (at, Text::new(source), code.map(Text::new));
        link.origin = Some(link.origin.map_or(origin, |o| o.min(origin)));
    }

    pub fn removed(&mut self, staff: &str, at: DateTime<Utc>, by: RemovedBy) {
        let link = self.entry(staff);
        link.removed = link.removed.max(Some((at, by)));
    }

    /// Fold a `Contact Added` (`staff_id`, `source`, `code`, `since`) or `Contact Removed`
    /// (`staff_id`, `by`); other events pass by. Returns the add's source, for the profile's
    /// acquisition.
    pub fn apply(&mut self, name: &str, at: DateTime<Utc>, p: &Value) -> Option<&'static str> {
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let staff = text("staff_id").unwrap_or_default();
        match name {
            events::CONTACT_ADDED => {
                let source = Text::new(text("source").unwrap_or("unknown")).as_str();
                let since = text("since").and_then(|s| s.parse().ok());
                self.added(staff, at, since, source, text("code"));
                Some(source)
            }
            events::CONTACT_REMOVED => {
                self.removed(staff, at, RemovedBy::parse(text("by")));
                None
            }
            _ => None,
        }
    }

    pub fn merge(&mut self, other: &Relationships) {
        for (staff, link) in &other.0 {
            self.entry(staff.as_str()).merge(link);
        }
    }

    /// Every staff member ever added or removed, with whether they are a friend now.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, &Link, bool)> + '_ {
        let cut = self.cut();
        self.0
            .iter()
            .filter(|(_, l)| l.added.is_some() || l.removed.is_some())
            .map(move |(s, l)| (s.as_str(), l, l.alive_after(cut)))
    }

    /// The staff members the customer is a friend of now ("" for an unnamed one).
    pub fn friends(&self) -> impl Iterator<Item = (&'static str, &Link)> + '_ {
        self.all().filter(|(_, _, alive)| *alive).map(|(s, l, _)| (s, l))
    }

    /// Whether `staff` is a friend now.
    pub fn is_friend(&self, staff: &str) -> bool {
        self.friends().any(|(s, _)| s == staff)
    }

    /// Reachable through WeCom: a friend of at least one staff member.
    pub fn reachable(&self) -> bool {
        self.friends().next().is_some()
    }

    /// The latest time any staff member was added.
    pub fn last_added(&self) -> Option<DateTime<Utc>> {
        self.0.iter().filter_map(|(_, l)| l.added).max()
    }

    /// The latest removal of any friendship.
    pub fn last_removed(&self) -> Option<DateTime<Utc>> {
        self.0.iter().filter_map(|(_, l)| l.removed.map(|(t, _)| t)).max()
    }

    /// When the customer stopped being reachable: the latest removal, if no friendship is left.
    pub fn lost_at(&self) -> Option<DateTime<Utc>> {
        if self.reachable() { None } else { self.last_removed() }
    }

    /// The source of the earliest friendship: where the customer first came from.
    pub fn first_source(&self) -> Option<&'static str> {
        self.origin().map(|(_, s)| s)
    }

    /// The earliest add and its source (on a tie the smaller source).
    pub fn origin(&self) -> Option<(DateTime<Utc>, &'static str)> {
        self.0.iter().filter_map(|(_, l)| l.origin).min().map(|(at, s, _)| (at, s.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(h.into())
    }

    #[test]
    fn dropping_one_of_two_staff_keeps_the_customer_reachable() {
        let mut r = Relationships::default();
        r.added("guide-1", t(0), None, "store", Some("store-3"));
        r.added("leader-1", t(5), None, "live", None);
        r.removed("leader-1", t(9), RemovedBy::Customer);
        assert!(r.reachable());
        assert!(r.is_friend("guide-1"));
        assert!(!r.is_friend("leader-1"));
        assert_eq!(r.lost_at(), None);
        r.removed("guide-1", t(10), RemovedBy::Staff);
        assert!(!r.reachable());
        assert_eq!(r.lost_at(), Some(t(10)));
        let ended: Vec<_> = r.all().map(|(s, l, _)| (s, l.removed.map(|(_, by)| by))).collect();
        assert_eq!(ended, vec![("guide-1", Some(RemovedBy::Staff)), ("leader-1", Some(RemovedBy::Customer))]);
    }

    #[test]
    fn adding_again_after_removing_is_a_friend_again_from_the_new_add() {
        let mut r = Relationships::default();
        r.added("g", t(0), None, "ads", Some("ads-1"));
        r.removed("g", t(2), RemovedBy::Customer);
        r.added("g", t(4), None, "live", Some("live-9"));
        let (_, link) = r.friends().next().unwrap();
        assert_eq!((link.since, link.added), (Some(t(0)), Some(t(4))));
        // The origin is the first add's.
        assert_eq!(link.origin().map(|(_, s, c)| (s, c)), Some(("ads", Some("ads-1"))));
    }

    #[test]
    fn a_removal_naming_nobody_ends_every_friendship_before_it() {
        let mut r = Relationships::default();
        r.added("a", t(0), None, "unknown", None);
        r.added("b", t(1), None, "unknown", None);
        r.removed("", t(3), RemovedBy::Unknown);
        assert!(!r.reachable());
        r.added("b", t(5), None, "unknown", None);
        assert!(r.is_friend("b") && !r.is_friend("a"));
    }

    #[derive(Debug, Clone)]
    enum Change {
        Add(usize, u32, usize),
        Remove(usize, u32, u8),
    }

    const STAFF: [&str; 4] = ["", "guide-1", "host-1", "leader-2"];
    const SOURCES: [&str; 3] = ["live", "parcel", "store"];

    fn apply(r: &mut Relationships, c: &Change) {
        match *c {
            Change::Add(s, h, src) => r.added(STAFF[s], t(h), None, SOURCES[src], None),
            Change::Remove(s, h, by) => r.removed(STAFF[s], t(h), [RemovedBy::Customer, RemovedBy::Staff][by as usize]),
        }
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            (0..4usize, 0..12u32, 0..3usize).prop_map(|(s, h, src)| Change::Add(s, h, src)),
            (0..4usize, 0..12u32, 0..2u8).prop_map(|(s, h, b)| Change::Remove(s, h, b)),
        ]
    }

    proptest! {
        /// Any arrival order, and any split between two people merged later, folds the same.
        #[test]
        fn order_and_merges_do_not_matter(changes in prop::collection::vec(change(), 0..24), split in 0usize..24, seed in any::<u64>()) {
            let mut whole = Relationships::default();
            changes.iter().for_each(|c| apply(&mut whole, c));

            let mut shuffled = changes.clone();
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut again = Relationships::default();
            shuffled.iter().for_each(|c| apply(&mut again, c));
            prop_assert_eq!(&again, &whole);

            let (a, b) = shuffled.split_at(split.min(shuffled.len()));
            let (mut left, mut right) = (Relationships::default(), Relationships::default());
            a.iter().for_each(|c| apply(&mut left, c));
            b.iter().for_each(|c| apply(&mut right, c));
            left.merge(&right);
            prop_assert_eq!(&left, &whole);
        }
    }
}
