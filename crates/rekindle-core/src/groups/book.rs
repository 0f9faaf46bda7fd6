//! Every group of a store folded from the log, in any arrival order.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::profile::text;
use crate::{PersonId, events};

/// A group nobody has written in for this long is silent: posts there talk to nobody.
pub const SILENT_AFTER: Duration = Duration::days(15);

/// One member's latest join and leave; in the group while the join is the later.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Stay {
    joined: Option<DateTime<Utc>>,
    left: Option<DateTime<Utc>>,
}

impl Stay {
    fn inside(&self) -> bool {
        match (self.joined, self.left) {
            (Some(j), Some(l)) => j > l,
            (j, _) => j.is_some(),
        }
    }

    fn join(&mut self, at: DateTime<Utc>) {
        self.joined = self.joined.max(Some(at));
    }

    fn leave(&mut self, at: DateTime<Utc>) {
        self.left = self.left.max(Some(at));
    }

    fn absorb(&mut self, other: Stay) {
        self.joined = self.joined.max(other.joined);
        self.left = self.left.max(other.left);
    }
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub id: String,
    /// The latest name an event gave.
    pub name: Option<(DateTime<Utc>, String)>,
    stays: BTreeMap<PersonId, Stay>,
    /// The latest message a member wrote in it.
    pub last_message: Option<DateTime<Utc>>,
    /// Messages members wrote, by when.
    messages: Vec<DateTime<Utc>>,
}

/// A group as the console lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupRow {
    pub id: String,
    pub name: Option<String>,
    pub members: usize,
    /// Joined and left in the last 7 days.
    pub joined_7d: usize,
    pub left_7d: usize,
    /// Messages members wrote in the last 7 days.
    pub messages_7d: usize,
    pub last_message: Option<DateTime<Utc>>,
    /// No member wrote in [`SILENT_AFTER`].
    pub silent: bool,
}

impl Group {
    fn new(id: String) -> Self {
        Self { id, ..Self::default() }
    }

    pub fn members(&self) -> impl Iterator<Item = PersonId> + '_ {
        self.stays.iter().filter(|(_, s)| s.inside()).map(|(p, _)| *p)
    }

    pub fn is_member(&self, person: PersonId) -> bool {
        self.stays.get(&person).is_some_and(Stay::inside)
    }

    pub fn silent(&self, now: DateTime<Utc>) -> bool {
        self.last_message.is_none_or(|t| now - t > SILENT_AFTER)
    }

    pub fn row(&self, now: DateTime<Utc>) -> GroupRow {
        let week = now - Duration::days(7);
        let recent = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t > week && t <= now);
        GroupRow {
            id: self.id.clone(),
            name: self.name.as_ref().map(|(_, n)| n.clone()),
            members: self.members().count(),
            joined_7d: self.stays.values().filter(|s| recent(s.joined)).count(),
            left_7d: self.stays.values().filter(|s| recent(s.left) && !s.inside()).count(),
            messages_7d: self.messages.iter().filter(|t| recent(Some(**t))).count(),
            last_message: self.last_message,
            silent: self.silent(now),
        }
    }
}

/// Every group of a store.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    pub groups: HashMap<String, Group>,
}

impl Groups {
    /// The names the fold reads.
    pub const NAMES: [&'static str; 3] = [events::GROUP_JOINED, events::GROUP_LEFT, events::GROUP_MESSAGED];

    /// Fold one event in (others are ignored).
    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, properties: &Value) {
        if !Self::NAMES.contains(&name) {
            return;
        }
        let Some(id) = text(properties.get("group_id")) else { return };
        let g = self.groups.entry(id.clone()).or_insert_with(|| Group::new(id));
        if let Some(n) = text(properties.get("group_name")) {
            // The latest name wins; on a tie the larger, so arrival order never matters.
            g.name = g.name.clone().max(Some((at, n)));
        }
        match name {
            events::GROUP_JOINED => g.stays.entry(person).or_default().join(at),
            events::GROUP_LEFT => g.stays.entry(person).or_default().leave(at),
            _ => {
                g.last_message = g.last_message.max(Some(at));
                let i = g.messages.partition_point(|t| *t <= at);
                g.messages.insert(i, at);
            }
        }
    }

    /// `from` was merged into `into`.
    pub fn merge(&mut self, from: PersonId, into: PersonId) {
        for g in self.groups.values_mut() {
            if let Some(s) = g.stays.remove(&from) {
                g.stays.entry(into).or_default().absorb(s);
            }
        }
    }

    /// The groups, largest first.
    pub fn rows(&self, now: DateTime<Utc>) -> Vec<GroupRow> {
        let mut rows: Vec<GroupRow> = self.groups.values().map(|g| g.row(now)).collect();
        rows.sort_by(|a, b| b.members.cmp(&a.members).then_with(|| a.id.cmp(&b.id)));
        rows
    }

    /// The groups a person is in.
    pub fn of(&self, person: PersonId) -> Vec<&Group> {
        let mut gs: Vec<&Group> = self.groups.values().filter(|g| g.is_member(person)).collect();
        gs.sort_by(|a, b| a.id.cmp(&b.id));
        gs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn at(day: i64) -> DateTime<Utc> {
        "2026-05-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(day)
    }
    fn id(n: u128) -> PersonId {
        PersonId(uuid::Uuid::from_u128(n))
    }

    type Ev = (u128, i64, &'static str, Value);

    fn fold(evs: &[Ev]) -> Groups {
        let mut g = Groups::default();
        for (p, day, name, props) in evs {
            g.apply(id(*p), at(*day), name, props);
        }
        g
    }

    fn sample() -> Vec<Ev> {
        let grp = |extra: Value| {
            let mut v = json!({"group_id": "g1"});
            if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            v
        };
        vec![
            (1, 0, events::GROUP_JOINED, grp(json!({"group_name": "鲜果社 1 群"}))),
            (2, 1, events::GROUP_JOINED, grp(json!({}))),
            (2, 3, events::GROUP_LEFT, grp(json!({}))),
            (3, 2, events::GROUP_JOINED, grp(json!({"group_name": "鲜果社 一群"}))),
            (3, 4, events::GROUP_LEFT, grp(json!({}))),
            (3, 5, events::GROUP_JOINED, grp(json!({}))),
            (1, 6, events::GROUP_MESSAGED, grp(json!({"text": "今天的草莓真甜"}))),
        ]
    }

    #[test]
    fn membership_follows_the_latest_join_or_leave() {
        let g = fold(&sample());
        let group = &g.groups["g1"];
        assert_eq!(group.members().collect::<Vec<_>>(), [id(1), id(3)]);
        assert_eq!(group.name.as_ref().map(|(_, n)| n.as_str()), Some("鲜果社 一群"));
        let row = group.row(at(7));
        assert_eq!((row.members, row.joined_7d, row.left_7d, row.messages_7d, row.silent), (2, 2, 1, 1, false));
        assert!(group.row(at(22)).silent, "nobody wrote for more than 15 days");
        assert_eq!(g.of(id(3)).len(), 1);
        assert!(g.of(id(2)).is_empty());
    }

    #[test]
    fn a_merge_moves_membership_and_the_latest_join_or_leave_decides() {
        let mut g = fold(&sample());
        g.merge(id(1), id(9));
        assert!(g.groups["g1"].is_member(id(9)) && !g.groups["g1"].is_member(id(1)));
        // 2 joined on day 1 and left on day 3, after 1's join on day 0: one person, who left.
        g.merge(id(2), id(9));
        assert!(!g.groups["g1"].is_member(id(9)));
    }

    proptest! {
        #[test]
        fn any_arrival_order_folds_the_same(seed in any::<u64>()) {
            let mut evs = sample();
            // A deterministic shuffle from the seed.
            let mut s = seed;
            for i in (1..evs.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                evs.swap(i, (s >> 33) as usize % (i + 1));
            }
            let (a, b) = (fold(&sample()), fold(&evs));
            prop_assert_eq!(a.rows(at(7)), b.rows(at(7)));
        }
    }
}
