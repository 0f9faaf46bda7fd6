//! Bulk reach (批量加好友任务, docs/relationships.md): phone-only buyers — customers with a phone
//! number and an order who are no staff member's WeCom friend — handed to staff members as a
//! task list. WeCom has no API for a company to add a customer by phone, so each staff member
//! adds theirs by hand (添加客户, by phone); a task is done when the customer's friendship with
//! that staff member is added at or after the assignment.
//!
//! Each assignment is a `Reach Task Assigned` event on the customer (`batch_id`, `staff_id`,
//! `assigned_by`); [`ReachTasks`] keeps each customer's latest, in any arrival order. Who to
//! assign ([`candidates`]), to whom ([`assign_in_turn`]) and how far each batch got
//! ([`progress`]) are pure functions of it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Relationships;
use crate::{FieldError, PersonId, events};

/// A customer assigned this recently is not assigned again.
pub const REASSIGN_AFTER_DAYS: i64 = 14;
/// Staff members one assignment spreads over at most.
pub const MAX_STAFF: usize = 50;
/// Customers one assignment hands out at most, and by default.
pub const MAX_LIMIT: u32 = 2000;
pub const DEFAULT_LIMIT: u32 = 200;

/// One customer's task: add them, as staff member `staff`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Assignment {
    pub at: DateTime<Utc>,
    /// The assignment it was part of (one operator action).
    pub batch: String,
    pub staff: String,
}

/// Each customer's latest assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReachTasks {
    by_person: HashMap<PersonId, Assignment>,
}

fn text(p: &Value, k: &str) -> Option<String> {
    p.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl ReachTasks {
    pub const NAMES: [&'static str; 1] = [events::REACH_TASK_ASSIGNED];

    /// Fold a `Reach Task Assigned` (`batch_id`, `staff_id`); other events, and one missing
    /// either, pass by.
    pub fn apply(&mut self, person: PersonId, at: DateTime<Utc>, name: &str, p: &Value) {
        if name != events::REACH_TASK_ASSIGNED {
            return;
        }
        let (Some(batch), Some(staff)) = (text(p, "batch_id"), text(p, "staff_id")) else { return };
        self.assign(person, Assignment { at, batch, staff });
    }

    /// Keep `a` if it is the person's latest (on the same instant, the greater batch and staff,
    /// so the order things arrive in does not matter).
    pub fn assign(&mut self, person: PersonId, a: Assignment) {
        match self.by_person.get_mut(&person) {
            Some(kept) if *kept >= a => {}
            Some(kept) => *kept = a,
            None => {
                self.by_person.insert(person, a);
            }
        }
    }

    /// `from` was merged into `into`: the later of their assignments stands.
    pub fn merge(&mut self, from: PersonId, into: PersonId) {
        if let Some(a) = self.by_person.remove(&from) {
            self.assign(into, a);
        }
    }

    pub fn get(&self, person: PersonId) -> Option<&Assignment> {
        self.by_person.get(&person)
    }

    /// Assigned less than [`REASSIGN_AFTER_DAYS`] before `now`.
    pub fn recently_assigned(&self, person: PersonId, now: DateTime<Utc>) -> bool {
        self.get(person).is_some_and(|a| now - a.at < Duration::days(REASSIGN_AFTER_DAYS))
    }

    /// The tasks of `batch`, in the order they were handed out (time, staff member, person).
    pub fn batch(&self, batch: &str) -> Vec<(PersonId, &Assignment)> {
        let mut tasks: Vec<_> = self.by_person.iter().filter(|(_, a)| a.batch == batch).map(|(p, a)| (*p, a)).collect();
        tasks.sort_by(|x, y| (&x.1.at, &x.1.staff, x.0).cmp(&(&y.1.at, &y.1.staff, y.0)));
        tasks
    }

    pub fn len(&self) -> usize {
        self.by_person.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_person.is_empty()
    }
}

/// What a customer looks like to an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prospect {
    pub person: PersonId,
    /// A phone number is known: staff add customers by it.
    pub phone: bool,
    pub orders: usize,
    /// A friend of some staff member now.
    pub reachable: bool,
    pub last_order: Option<DateTime<Utc>>,
}

impl Prospect {
    /// A phone-only buyer nobody was asked to add lately.
    pub fn wanted(&self, tasks: &ReachTasks, now: DateTime<Utc>) -> bool {
        self.phone && self.orders >= 1 && !self.reachable && !tasks.recently_assigned(self.person, now)
    }
}

/// Who to assign: the [wanted](Prospect::wanted) ones, most recent order first (then by
/// person id), at most `limit`.
pub fn candidates(
    prospects: impl IntoIterator<Item = Prospect>,
    tasks: &ReachTasks,
    now: DateTime<Utc>,
    limit: usize,
) -> Vec<PersonId> {
    let mut wanted: Vec<Prospect> = prospects.into_iter().filter(|p| p.wanted(tasks, now)).collect();
    wanted.sort_by(|a, b| b.last_order.cmp(&a.last_order).then(a.person.cmp(&b.person)));
    let mut seen = HashSet::new();
    wanted.into_iter().map(|p| p.person).filter(|p| seen.insert(*p)).take(limit).collect()
}

/// Each person to a staff member in turn: the first to the first, the second to the second, …
/// and round again, so each staff member gets as many as the next or one more.
pub fn assign_in_turn(people: impl IntoIterator<Item = PersonId>, staff: &[String]) -> Vec<(PersonId, &str)> {
    if staff.is_empty() {
        return Vec::new();
    }
    people.into_iter().enumerate().map(|(i, p)| (p, staff[i % staff.len()].as_str())).collect()
}

/// When `staff` was added by the customer at or after `since` (the latest add), if they were.
pub fn added_since(contacts: &Relationships, staff: &str, since: DateTime<Utc>) -> Option<DateTime<Utc>> {
    contacts.all().find(|(s, _, _)| *s == staff).and_then(|(_, l, _)| l.added).filter(|a| *a >= since)
}

/// One staff member's share of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffProgress {
    pub staff_id: String,
    /// Customers assigned to them, of those the ones who became their friend since, and the
    /// rest.
    pub assigned: u64,
    pub added: u64,
    pub pending: u64,
}

/// How far one assignment got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchProgress {
    pub batch: String,
    /// When it was handed out (its first task).
    pub created_at: DateTime<Utc>,
    /// By staff id.
    pub staff: Vec<StaffProgress>,
    pub assigned: u64,
    pub added: u64,
}

/// Every batch's progress, newest first: per staff member, the customers assigned, those whose
/// friendship with them was added at or after the assignment, and the rest. `contacts_of` gives
/// a customer's friendships (none: nobody added yet). A customer assigned again counts in their
/// latest batch only.
pub fn progress<'a>(
    tasks: &ReachTasks,
    contacts_of: impl Fn(PersonId) -> Option<&'a Relationships>,
) -> Vec<BatchProgress> {
    let mut batches: BTreeMap<&str, (DateTime<Utc>, BTreeMap<&str, StaffProgress>)> = BTreeMap::new();
    for (person, a) in &tasks.by_person {
        let (created, staff) = batches.entry(a.batch.as_str()).or_insert((a.at, BTreeMap::new()));
        *created = (*created).min(a.at);
        let s = staff
            .entry(a.staff.as_str())
            .or_insert_with(|| StaffProgress { staff_id: a.staff.clone(), ..StaffProgress::default() });
        s.assigned += 1;
        if contacts_of(*person).and_then(|c| added_since(c, &a.staff, a.at)).is_some() {
            s.added += 1;
        } else {
            s.pending += 1;
        }
    }
    let mut out: Vec<BatchProgress> = batches
        .into_iter()
        .map(|(batch, (created_at, staff))| {
            let staff: Vec<StaffProgress> = staff.into_values().collect();
            BatchProgress {
                batch: batch.to_owned(),
                created_at,
                assigned: staff.iter().map(|s| s.assigned).sum(),
                added: staff.iter().map(|s| s.added).sum(),
                staff,
            }
        })
        .collect();
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.batch.cmp(&a.batch)));
    out
}

/// An assignment as the operator asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReachInput {
    /// Staff members (WeCom userids) the customers are handed to in turn: 1 to 50.
    #[serde(default)]
    pub staff: Vec<String>,
    /// Customers to hand out at most: 1 to 2000 (default 200).
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Only members of this segment.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub segment: Option<crate::SegmentId>,
}

fn default_limit() -> u32 {
    DEFAULT_LIMIT
}

/// A WeCom userid: letters, digits and `- _ . @`, at most 64.
pub fn staff_id_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
}

impl ReachInput {
    /// Check it, naming the field at fault, in Chinese (`zh`) or English; staff ids are
    /// trimmed.
    pub fn validate(&mut self, zh: bool) -> Result<(), FieldError> {
        let say = |field: String, zh_text: String, en_text: String| {
            FieldError::new(field, if zh { zh_text } else { en_text })
        };
        if self.staff.is_empty() || self.staff.len() > MAX_STAFF {
            return Err(say(
                "staff".into(),
                format!("1 到 {MAX_STAFF} 位员工的 userid"),
                format!("1 to {MAX_STAFF} staff userids"),
            ));
        }
        for s in &mut self.staff {
            *s = s.trim().to_owned();
        }
        if let Some(i) = self.staff.iter().position(|s| !staff_id_ok(s)) {
            return Err(say(
                format!("staff[{i}]"),
                "只能用字母、数字和 - _ . @".into(),
                "a WeCom userid: letters, digits and - _ . @".into(),
            ));
        }
        let mut seen = HashSet::new();
        if let Some(i) = self.staff.iter().position(|s| !seen.insert(s.clone())) {
            return Err(say(format!("staff[{i}]"), "重复了".into(), "listed twice".into()));
        }
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(say("limit".into(), format!("1 到 {MAX_LIMIT}"), format!("1 to {MAX_LIMIT}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use serde_json::json;

    fn t(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::days(d)
    }

    fn assigned(batch: &str, staff: &str) -> Value {
        json!({"batch_id": batch, "staff_id": staff, "assigned_by": "api"})
    }

    fn prospect(person: PersonId, last_order: i64) -> Prospect {
        Prospect { person, phone: true, orders: 1, reachable: false, last_order: Some(t(last_order)) }
    }

    #[test]
    fn the_latest_assignment_stands_in_any_order() {
        let p = PersonId::new_v7();
        let events = [(t(0), assigned("b1", "guide-1")), (t(20), assigned("b2", "guide-2"))];
        for order in [[0, 1], [1, 0]] {
            let mut tasks = ReachTasks::default();
            for i in order {
                tasks.apply(p, events[i].0, events::REACH_TASK_ASSIGNED, &events[i].1);
            }
            let a = tasks.get(p).unwrap();
            assert_eq!((a.batch.as_str(), a.staff.as_str(), a.at), ("b2", "guide-2", t(20)));
        }
        // Nonsense and other events pass by.
        let mut tasks = ReachTasks::default();
        tasks.apply(p, t(0), events::REACH_TASK_ASSIGNED, &json!({"batch_id": "b1"}));
        tasks.apply(p, t(0), events::REACH_TASK_ASSIGNED, &json!({"batch_id": " ", "staff_id": "g"}));
        tasks.apply(p, t(0), events::CONTACT_ADDED, &assigned("b1", "g"));
        assert!(tasks.is_empty());
    }

    #[test]
    fn a_merge_keeps_the_later_assignment() {
        let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
        let mut tasks = ReachTasks::default();
        tasks.apply(a, t(1), events::REACH_TASK_ASSIGNED, &assigned("b1", "guide-1"));
        tasks.apply(b, t(3), events::REACH_TASK_ASSIGNED, &assigned("b2", "guide-2"));
        tasks.merge(b, a);
        assert_eq!((tasks.len(), tasks.get(a).unwrap().batch.as_str()), (1, "b2"));
        let mut other = ReachTasks::default();
        other.apply(a, t(3), events::REACH_TASK_ASSIGNED, &assigned("b2", "guide-2"));
        other.apply(b, t(1), events::REACH_TASK_ASSIGNED, &assigned("b1", "guide-1"));
        other.merge(b, a);
        assert_eq!(other, tasks);
    }

    #[test]
    fn candidates_are_phone_only_buyers_not_assigned_lately_latest_order_first() {
        let ids: Vec<PersonId> = (0..7).map(|_| PersonId::new_v7()).collect();
        let mut tasks = ReachTasks::default();
        tasks.apply(ids[5], t(0), events::REACH_TASK_ASSIGNED, &assigned("b0", "g"));
        tasks.apply(ids[6], t(-REASSIGN_AFTER_DAYS), events::REACH_TASK_ASSIGNED, &assigned("b0", "g"));
        let now = t(1);
        let prospects = [
            prospect(ids[0], -30),
            Prospect { phone: false, ..prospect(ids[1], 0) },
            Prospect { orders: 0, last_order: None, ..prospect(ids[2], 0) },
            Prospect { reachable: true, ..prospect(ids[3], 0) },
            prospect(ids[4], -2),
            // Assigned yesterday: not again; assigned 15 days ago: again.
            prospect(ids[5], 0),
            prospect(ids[6], -1),
        ];
        assert_eq!(candidates(prospects, &tasks, now, 10), vec![ids[6], ids[4], ids[0]]);
        assert_eq!(candidates(prospects, &tasks, now, 2), vec![ids[6], ids[4]]);
        assert!(candidates(prospects, &tasks, now, 0).is_empty());
    }

    #[test]
    fn in_turn_goes_round_the_staff() {
        let staff = vec!["a".to_string(), "b".to_string()];
        let ids: Vec<PersonId> = (0..3).map(|_| PersonId::new_v7()).collect();
        let got: Vec<&str> = assign_in_turn(ids.clone(), &staff).into_iter().map(|(_, s)| s).collect();
        assert_eq!(got, ["a", "b", "a"]);
        assert!(assign_in_turn(ids, &[]).is_empty());
    }

    #[test]
    fn progress_counts_friendships_added_since_the_assignment() {
        let (a, b, c) = (PersonId::new_v7(), PersonId::new_v7(), PersonId::new_v7());
        let mut tasks = ReachTasks::default();
        tasks.apply(a, t(0), events::REACH_TASK_ASSIGNED, &assigned("b1", "guide-1"));
        tasks.apply(b, t(0), events::REACH_TASK_ASSIGNED, &assigned("b1", "guide-2"));
        tasks.apply(c, t(2), events::REACH_TASK_ASSIGNED, &assigned("b2", "guide-1"));
        let mut added = Relationships::default();
        added.added("guide-1", t(1), None, "unknown", None);
        // b added someone else, and guide-2 only long before the assignment.
        let mut elsewhere = Relationships::default();
        elsewhere.added("guide-9", t(1), None, "unknown", None);
        elsewhere.added("guide-2", t(-5), None, "unknown", None);
        let contacts = HashMap::from([(a, added), (b, elsewhere)]);
        let p = progress(&tasks, |p| contacts.get(&p));
        assert_eq!(p.iter().map(|b| b.batch.as_str()).collect::<Vec<_>>(), ["b2", "b1"]);
        let b1 = &p[1];
        assert_eq!((b1.created_at, b1.assigned, b1.added), (t(0), 2, 1));
        let per: Vec<_> = b1.staff.iter().map(|s| (s.staff_id.as_str(), s.assigned, s.added, s.pending)).collect();
        assert_eq!(per, [("guide-1", 1, 1, 0), ("guide-2", 1, 0, 1)]);
        assert_eq!((p[0].assigned, p[0].added), (1, 0));
        assert_eq!(tasks.batch("b1").iter().map(|(p, _)| *p).collect::<Vec<_>>().len(), 2);
    }

    #[test]
    fn input_is_checked_by_field() {
        let input = |staff: &[&str], limit: u32| ReachInput {
            staff: staff.iter().map(|s| s.to_string()).collect(),
            limit,
            segment: None,
        };
        let field = |mut i: ReachInput| i.validate(false).err().map(|e| e.field);
        assert_eq!(field(input(&[" guide-1 ", "host@x"], 200)), None);
        assert_eq!(field(input(&[], 200)), Some("staff".into()));
        assert_eq!(field(input(&["a", "<b>"], 200)), Some("staff[1]".into()));
        assert_eq!(field(input(&["a", " a"], 200)), Some("staff[1]".into()));
        assert_eq!(field(input(&["a"], 0)), Some("limit".into()));
        assert_eq!(field(input(&["a"], MAX_LIMIT + 1)), Some("limit".into()));
        let many: Vec<String> = (0..=MAX_STAFF).map(|i| format!("s{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(field(input(&many, 1)), Some("staff".into()));
        let read: ReachInput = serde_json::from_value(json!({"staff": ["a"]})).unwrap();
        assert_eq!((read.limit, read.segment), (DEFAULT_LIMIT, None));
    }

    const STAFF: [&str; 3] = ["guide-1", "guide-2", "host-1"];
    const BATCHES: [&str; 3] = ["b1", "b2", "b3"];

    proptest! {
        /// In turn, each staff member gets as many as any other or one more.
        #[test]
        fn in_turn_spreads_evenly(people in 0usize..200, staff in 1usize..12) {
            let staff: Vec<String> = (0..staff).map(|i| format!("s{i}")).collect();
            let ids: Vec<PersonId> = (0..people).map(|_| PersonId::new_v7()).collect();
            let pairs = assign_in_turn(ids.clone(), &staff);
            prop_assert_eq!(pairs.iter().map(|(p, _)| *p).collect::<Vec<_>>(), ids);
            let counts: Vec<usize> = staff.iter().map(|s| pairs.iter().filter(|(_, x)| *x == s).count()).collect();
            let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            prop_assert!(hi - lo <= 1, "{:?}", counts);
        }

        /// Any arrival order, and any split between two people merged later, folds the same.
        #[test]
        fn order_and_merges_do_not_matter(
            changes in prop::collection::vec((0usize..4, 0i64..30, 0usize..3, 0usize..3), 0..24),
            split in 0usize..24,
            seed in any::<u64>(),
        ) {
            let people: Vec<PersonId> = (0..4).map(|_| PersonId::new_v7()).collect();
            let fold = |cs: &[(usize, i64, usize, usize)], who: &dyn Fn(usize) -> PersonId| {
                let mut tasks = ReachTasks::default();
                for &(p, d, b, s) in cs {
                    tasks.apply(who(p), t(d), events::REACH_TASK_ASSIGNED, &assigned(BATCHES[b], STAFF[s]));
                }
                tasks
            };
            let whole = fold(&changes, &|p| people[p]);
            let mut shuffled = changes.clone();
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(&fold(&shuffled, &|p| people[p]), &whole);

            // Person 0's events split between 0 and a stand-in merged into 0 afterwards.
            let stand_in = PersonId::new_v7();
            let cut = split.min(shuffled.len());
            let mut merged = ReachTasks::default();
            for (i, &(p, d, b, st)) in shuffled.iter().enumerate() {
                let who = if p == 0 && i < cut { stand_in } else { people[p] };
                merged.apply(who, t(d), events::REACH_TASK_ASSIGNED, &assigned(BATCHES[b], STAFF[st]));
            }
            merged.merge(stand_in, people[0]);
            prop_assert_eq!(&merged, &whole);
        }
    }
}
