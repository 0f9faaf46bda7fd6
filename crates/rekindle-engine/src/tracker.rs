//! Live membership: after each catch-up, who entered and left each saved segment and whose
//! lifecycle stage moved, recorded in the store with the time (journeys trigger on these;
//! wake-up rates are counted from them).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, SegmentId, WorkspaceId};
use rekindle_store::{MembershipChange, SegmentSize, StageChange, Store};

use rayon::prelude::*;

use crate::{Audience, Member};

/// How often a segment's size is written down for its trend.
const SIZE_EVERY: Duration = Duration::hours(1);
/// Changes written per transaction.
const CHANGES_PER_WRITE: usize = 1000;

/// Membership and stages as last recorded.
pub struct Tracker {
    /// Membership as the store held it when loaded: the first diff compares everyone with it.
    /// Once a diff is recorded, `basis` speaks for what was recorded and this is dropped.
    loaded: Option<HashMap<SegmentId, HashSet<PersonId>>>,
    /// The audience whose memberships were last recorded in full.
    basis: Option<Arc<Audience>>,
    /// Members per segment as recorded.
    counts: HashMap<SegmentId, u64>,
    stages: HashMap<PersonId, Stage>,
    sized: HashMap<SegmentId, DateTime<Utc>>,
}

/// The changes one diff found. Once recorded, the journey runner reads them from the store
/// (journeys triggered by entering or leaving a segment, or by a stage change).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub membership: Vec<MembershipChange>,
    pub stages: Vec<StageChange>,
}

/// What one pass found and recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub entered: usize,
    pub left: usize,
    pub stage_changes: usize,
}

impl Tracker {
    pub async fn load(store: &dyn Store, ws: WorkspaceId) -> rekindle_store::Result<Self> {
        let mut members: HashMap<SegmentId, HashSet<PersonId>> = HashMap::new();
        for (segment, person) in store.all_segment_members(ws).await? {
            members.entry(segment).or_default().insert(person);
        }
        let stages = store.stages(ws).await?.into_iter().collect();
        Ok(Self::recorded(members, stages))
    }

    /// A tracker that takes `members` and `stages` as what was recorded.
    pub fn recorded(members: HashMap<SegmentId, HashSet<PersonId>>, stages: HashMap<PersonId, Stage>) -> Self {
        let counts = members.iter().map(|(s, m)| (*s, m.len() as u64)).collect();
        Self { loaded: Some(members), basis: None, counts, stages, sized: HashMap::new() }
    }

    /// The audience whose memberships were last recorded: the next one is built from it.
    pub fn basis(&self) -> Option<&Arc<Audience>> {
        self.basis.as_ref()
    }

    /// How `audience` differs from what was last recorded. Only CPU: against the last
    /// recorded audience it compares only the people judged again since (and the people
    /// gone); the first time, everyone against the memberships loaded from the store.
    pub fn diff(&self, audience: &Arc<Audience>) -> Found {
        let (membership, counts) = match &self.basis {
            Some(basis) => self.diff_from(basis, audience),
            None => self.diff_loaded(audience),
        };
        let now = audience.now;
        let changed: Vec<&Member> = match self.rejudged(audience) {
            Some(r) => r.members.iter().map(|(i, _)| &audience.members[*i as usize]).collect(),
            None => audience.members.iter().collect(),
        };
        let stages: Vec<StageChange> = changed
            .into_iter()
            .filter_map(|m| {
                let from = self.stages.get(&m.person).copied();
                (from != Some(m.stage)).then(|| StageChange {
                    person: m.person,
                    from,
                    to: m.stage,
                    at: audience.context.judging.lifecycle.entered(&m.profile, now),
                })
            })
            .collect();
        let sizes = audience
            .context
            .segments
            .iter()
            .filter(|s| self.sized.get(&s.id).is_none_or(|at| now - *at >= SIZE_EVERY))
            .map(|s| SegmentSize { segment: s.id, size: counts.get(&s.id).copied().unwrap_or(0), at: now })
            .collect();
        Found { changes: Changes { membership, stages }, sizes, counts, audience: audience.clone() }
    }

    /// Who was judged again since the basis, when the audience was built from it.
    fn rejudged<'a>(&self, audience: &'a Audience) -> Option<&'a crate::audience::Rejudged> {
        let basis = self.basis.as_ref()?;
        audience.memo.rejudged.as_ref().filter(|r| r.from == basis.memo.generation)
    }

    /// Everyone against the memberships loaded from the store.
    fn diff_loaded(&self, audience: &Audience) -> (Vec<MembershipChange>, HashMap<SegmentId, u64>) {
        let now = audience.now;
        let empty = HashMap::new();
        let loaded = self.loaded.as_ref().unwrap_or(&empty);
        let mut membership = Vec::new();
        let mut counts = HashMap::new();
        for (i, segment) in audience.context.segments.iter().enumerate() {
            let now_in: HashSet<PersonId> = audience.in_segment(i).map(|m| m.person).collect();
            let before = loaded.get(&segment.id);
            let mut entered: Vec<PersonId> =
                now_in.iter().filter(|p| before.is_none_or(|b| !b.contains(p))).copied().collect();
            let mut left: Vec<PersonId> =
                before.map(|b| b.iter().filter(|p| !now_in.contains(p)).copied().collect()).unwrap_or_default();
            entered.sort();
            left.sort();
            let change = |person, entered| MembershipChange { segment: segment.id, person, entered, at: now };
            membership.extend(entered.into_iter().map(|p| change(p, true)));
            membership.extend(left.into_iter().map(|p| change(p, false)));
            counts.insert(segment.id, now_in.len() as u64);
        }
        (membership, counts)
    }

    /// Against the last recorded audience: each person judged again (everyone, if the audience
    /// was not built from it) and each person gone, their segments before and now.
    fn diff_from(&self, basis: &Audience, audience: &Audience) -> (Vec<MembershipChange>, HashMap<SegmentId, u64>) {
        let now = audience.now;
        let segments = &audience.context.segments;
        let index: HashMap<SegmentId, usize> = segments.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        // A segment index of the basis as one of the audience's (none once deleted).
        let moved: Vec<Option<u16>> =
            basis.context.segments.iter().map(|s| index.get(&s.id).map(|i| *i as u16)).collect();
        let in_order = moved.iter().flatten().is_sorted_by(|a, b| a < b);
        let diffs = Diffs { moved: &moved, width: segments.len(), in_order };
        // On the judging threads: the comparison, then each segment's entries and exits sorted.
        let mut found = crate::background::judging(None, || {
            let mut found = match self.rejudged(audience) {
                Some(r) => {
                    let mut found = (r.members.par_chunks(COMPARED_TOGETHER))
                        .fold(
                            || diffs.none(),
                            |mut found, chunk| {
                                for (i, j) in chunk {
                                    let m = &audience.members[*i as usize];
                                    diffs.compare(&mut found, m.person, j.map(|j| &basis.members[j as usize]), Some(m));
                                }
                                found
                            },
                        )
                        .reduce(|| diffs.none(), Moves::join);
                    for p in &r.gone {
                        diffs.compare(&mut found, *p, basis.member(*p), None);
                    }
                    found
                }
                None => {
                    // Both are sorted by person: walk them together.
                    let mut found = diffs.none();
                    let (mut a, mut b) = (basis.members.iter().peekable(), audience.members.iter().peekable());
                    loop {
                        match (a.peek(), b.peek()) {
                            (Some(x), Some(y)) if x.person == y.person => {
                                diffs.compare(&mut found, x.person, Some(x), Some(y));
                                a.next();
                                b.next();
                            }
                            (Some(x), Some(y)) if x.person < y.person => {
                                diffs.compare(&mut found, x.person, Some(x), None);
                                a.next();
                            }
                            (Some(x), None) => {
                                diffs.compare(&mut found, x.person, Some(x), None);
                                a.next();
                            }
                            (_, Some(y)) => {
                                diffs.compare(&mut found, y.person, None, Some(y));
                                b.next();
                            }
                            (None, None) => break,
                        }
                    }
                    found
                }
            };
            found.entered.par_iter_mut().chain(found.left.par_iter_mut()).for_each(|people| people.sort_unstable());
            found
        });
        let mut membership = Vec::new();
        let mut counts = HashMap::new();
        for (i, segment) in segments.iter().enumerate() {
            let (entered, left) = (std::mem::take(&mut found.entered[i]), std::mem::take(&mut found.left[i]));
            let kept = if basis.context.segments.iter().any(|s| s.id == segment.id) {
                self.counts.get(&segment.id).copied().unwrap_or(0)
            } else {
                0
            };
            counts.insert(segment.id, (kept + entered.len() as u64).saturating_sub(left.len() as u64));
            let change = |person, entered| MembershipChange { segment: segment.id, person, entered, at: now };
            membership.extend(entered.into_iter().map(|p| change(p, true)));
            membership.extend(left.into_iter().map(|p| change(p, false)));
        }
        (membership, counts)
    }

    /// Write down what [`Tracker::diff`] found. Memory follows once the store has it all; if a
    /// write fails the caller drops the tracker and the next one is loaded from the store.
    pub async fn record(
        &mut self,
        store: &dyn Store,
        ws: WorkspaceId,
        found: Found,
    ) -> rekindle_store::Result<Recorded> {
        // In parts, so a day boundary that moves a great many people never holds the store's
        // writer (and the events behind it) for long.
        for part in found.changes.stages.chunks(CHANGES_PER_WRITE) {
            store.record_stage_changes(ws, part).await?;
        }
        let parts: Vec<&[MembershipChange]> = found.changes.membership.chunks(CHANGES_PER_WRITE).collect();
        if parts.is_empty() && !found.sizes.is_empty() {
            store.record_membership(ws, &[], &found.sizes).await?;
        }
        for (i, part) in parts.iter().enumerate() {
            let sized: &[SegmentSize] = if i + 1 == parts.len() { &found.sizes } else { &[] };
            store.record_membership(ws, part, sized).await?;
        }
        Ok(self.apply(found))
    }

    /// Take what a diff found as recorded.
    pub fn apply(&mut self, found: Found) -> Recorded {
        let Found { changes, sizes, counts, audience } = found;
        for c in &changes.stages {
            self.stages.insert(c.person, c.to);
        }
        for s in &sizes {
            self.sized.insert(s.segment, s.at);
        }
        self.counts = counts;
        crate::background::drop_later((self.loaded.take(), self.basis.replace(audience)));
        Recorded {
            entered: changes.membership.iter().filter(|c| c.entered).count(),
            left: changes.membership.iter().filter(|c| !c.entered).count(),
            stage_changes: changes.stages.len(),
        }
    }
}

/// Members compared on one judging thread at once, at the least.
const COMPARED_TOGETHER: usize = 1024;

/// How segment memberships are compared, person by person.
struct Diffs<'a> {
    /// Each of the basis's segment indexes as one of the audience's (none once deleted).
    moved: &'a [Option<u16>],
    /// How many segments the audience has.
    width: usize,
    /// Whether `moved` keeps the basis's order, so its lists stay sorted read through it.
    in_order: bool,
}

/// Who entered and who left each of the audience's segments (unsorted until the end).
struct Moves {
    entered: Vec<Vec<PersonId>>,
    left: Vec<Vec<PersonId>>,
}

impl Moves {
    fn join(mut self, other: Self) -> Self {
        for (mine, theirs) in self.entered.iter_mut().zip(other.entered).chain(self.left.iter_mut().zip(other.left)) {
            mine.extend(theirs);
        }
        self
    }
}

impl Diffs<'_> {
    fn none(&self) -> Moves {
        Moves { entered: vec![Vec::new(); self.width], left: vec![Vec::new(); self.width] }
    }

    /// One person's segments before (in the basis) and now (in the audience), each list sorted.
    fn compare(&self, found: &mut Moves, person: PersonId, before: Option<&Member>, after: Option<&Member>) {
        let before = before.map_or(&[][..], |m| &m.segments).iter().filter_map(|b| self.moved[*b as usize]);
        let after = after.map_or(&[][..], |m| &m.segments).iter().copied();
        if self.in_order {
            self.walk(found, person, before, after);
        } else {
            // Segments were reordered: the basis's list, read through `moved`, is sorted anew.
            let before: std::collections::BTreeSet<u16> = before.collect();
            self.walk(found, person, before.into_iter(), after);
        }
    }

    /// Walk two sorted lists of segments together.
    fn walk(
        &self,
        found: &mut Moves,
        person: PersonId,
        before: impl Iterator<Item = u16>,
        after: impl Iterator<Item = u16>,
    ) {
        let mut after = after.peekable();
        for b in before {
            while let Some(a) = after.next_if(|a| *a < b) {
                found.entered[a as usize].push(person);
            }
            if after.next_if_eq(&b).is_none() {
                found.left[b as usize].push(person);
            }
        }
        for a in after {
            found.entered[a as usize].push(person);
        }
    }
}

/// What one diff found: the changes, the sizes due, each segment's size, and the audience.
pub struct Found {
    changes: Changes,
    sizes: Vec<SegmentSize>,
    counts: HashMap<SegmentId, u64>,
    audience: Arc<Audience>,
}

impl Found {
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// Each segment's size after the changes.
    pub fn counts(&self) -> &HashMap<SegmentId, u64> {
        &self.counts
    }
}
