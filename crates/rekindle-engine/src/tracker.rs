//! Live membership: after each catch-up, who entered and left each saved segment and whose
//! lifecycle stage moved, recorded in the store with the time (journeys trigger on these;
//! wake-up rates are counted from them).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, SegmentId, WorkspaceId};
use rekindle_store::{MembershipChange, SegmentSize, StageChange, Store};

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
        let moved: Vec<Option<usize>> = basis.context.segments.iter().map(|s| index.get(&s.id).copied()).collect();
        let mut entered: Vec<Vec<PersonId>> = vec![Vec::new(); segments.len()];
        let mut left: Vec<Vec<PersonId>> = vec![Vec::new(); segments.len()];
        let mut compare = |person: PersonId, before: Option<&Member>, after: Option<&Member>| {
            let before: Vec<usize> =
                before.map(|m| m.segments.iter().filter_map(|s| moved[*s as usize]).collect()).unwrap_or_default();
            let after: &[u16] = after.map_or(&[], |m| &m.segments);
            for s in after {
                if !before.contains(&(*s as usize)) {
                    entered[*s as usize].push(person);
                }
            }
            for s in &before {
                if !after.contains(&(*s as u16)) {
                    left[*s].push(person);
                }
            }
        };
        match self.rejudged(audience) {
            Some(r) => {
                for (i, j) in &r.members {
                    let m = &audience.members[*i as usize];
                    compare(m.person, j.map(|j| &basis.members[j as usize]), Some(m));
                }
                for p in &r.gone {
                    compare(*p, basis.member(*p), None);
                }
            }
            None => {
                // Both are sorted by person: walk them together.
                let (mut a, mut b) = (basis.members.iter().peekable(), audience.members.iter().peekable());
                loop {
                    match (a.peek(), b.peek()) {
                        (Some(x), Some(y)) if x.person == y.person => {
                            compare(x.person, Some(x), Some(y));
                            a.next();
                            b.next();
                        }
                        (Some(x), Some(y)) if x.person < y.person => {
                            compare(x.person, Some(x), None);
                            a.next();
                        }
                        (Some(x), None) => {
                            compare(x.person, Some(x), None);
                            a.next();
                        }
                        (_, Some(y)) => {
                            compare(y.person, None, Some(y));
                            b.next();
                        }
                        (None, None) => break,
                    }
                }
            }
        }
        let mut membership = Vec::new();
        let mut counts = HashMap::new();
        for (i, segment) in segments.iter().enumerate() {
            let (mut entered, mut left) = (std::mem::take(&mut entered[i]), std::mem::take(&mut left[i]));
            entered.sort_unstable();
            left.sort_unstable();
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
