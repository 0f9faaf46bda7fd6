//! Live membership: after each catch-up, who entered and left each saved segment and whose
//! lifecycle stage moved, recorded in the store with the time (journeys trigger on these;
//! wake-up rates are counted from them).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, SegmentId, WorkspaceId};
use rekindle_store::{MembershipChange, SegmentSize, StageChange, Store};

use crate::Audience;

/// How often a segment's size is written down for its trend.
const SIZE_EVERY: Duration = Duration::hours(1);
/// Changes written per transaction.
const CHANGES_PER_WRITE: usize = 1000;

/// Membership and stages as last recorded.
pub struct Tracker {
    members: HashMap<SegmentId, HashSet<PersonId>>,
    stages: HashMap<PersonId, Stage>,
    sized: HashMap<SegmentId, DateTime<Utc>>,
}

/// The changes one diff found. Once recorded, the journey runner reads them from the store
/// (journeys triggered by entering or leaving a segment, or by a stage change).
#[derive(Debug, Default, Clone)]
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
        Ok(Self { members, stages, sized: HashMap::new() })
    }

    /// How `audience` differs from what was last recorded. Only CPU, but seconds at a million
    /// people: the engine runs it on a background thread beside building the audience.
    pub fn diff(&self, audience: &Audience) -> Found {
        let now = audience.now;
        let stages: Vec<StageChange> = audience
            .members
            .iter()
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
        let mut membership = Vec::new();
        let mut sizes = Vec::new();
        let mut current: HashMap<SegmentId, HashSet<PersonId>> = HashMap::new();
        for (i, segment) in audience.context.segments.iter().enumerate() {
            let now_in: HashSet<PersonId> = audience.in_segment(i).map(|m| m.person).collect();
            let before = self.members.get(&segment.id);
            let mut entered: Vec<PersonId> =
                now_in.iter().filter(|p| before.is_none_or(|b| !b.contains(p))).copied().collect();
            let mut left: Vec<PersonId> =
                before.map(|b| b.iter().filter(|p| !now_in.contains(p)).copied().collect()).unwrap_or_default();
            entered.sort();
            left.sort();
            let change = |person, entered| MembershipChange { segment: segment.id, person, entered, at: now };
            membership.extend(entered.into_iter().map(|p| change(p, true)));
            membership.extend(left.into_iter().map(|p| change(p, false)));
            if self.sized.get(&segment.id).is_none_or(|at| now - *at >= SIZE_EVERY) {
                sizes.push(SegmentSize { segment: segment.id, size: now_in.len() as u64, at: now });
            }
            current.insert(segment.id, now_in);
        }
        Found { changes: Changes { membership, stages }, sizes, current }
    }

    /// Write down what [`Tracker::diff`] found. Memory follows the store only once the store
    /// has it, so a failed write is found again next time.
    pub async fn record(
        &mut self,
        store: &dyn Store,
        ws: WorkspaceId,
        found: Found,
    ) -> rekindle_store::Result<Recorded> {
        let Found { changes, sizes, current } = found;
        // In parts, so a day boundary that moves a great many people never holds the store's
        // writer (and the events behind it) for long; memory follows each part once stored.
        for part in changes.stages.chunks(CHANGES_PER_WRITE) {
            store.record_stage_changes(ws, part).await?;
            for c in part {
                self.stages.insert(c.person, c.to);
            }
        }
        let parts: Vec<&[MembershipChange]> = changes.membership.chunks(CHANGES_PER_WRITE).collect();
        if parts.is_empty() && !sizes.is_empty() {
            store.record_membership(ws, &[], &sizes).await?;
        }
        for (i, part) in parts.iter().enumerate() {
            let sized: &[SegmentSize] = if i + 1 == parts.len() { &sizes } else { &[] };
            store.record_membership(ws, part, sized).await?;
            for c in *part {
                let members = self.members.entry(c.segment).or_default();
                if c.entered {
                    members.insert(c.person);
                } else {
                    members.remove(&c.person);
                }
            }
        }
        for s in &sizes {
            self.sized.insert(s.segment, s.at);
        }
        crate::background::drop_later(std::mem::replace(&mut self.members, current));
        let recorded = Recorded {
            entered: changes.membership.iter().filter(|c| c.entered).count(),
            left: changes.membership.iter().filter(|c| !c.entered).count(),
            stage_changes: changes.stages.len(),
        };
        Ok(recorded)
    }
}

/// What one diff found: the changes, the sizes due, and who is in each segment now.
pub struct Found {
    changes: Changes,
    sizes: Vec<SegmentSize>,
    current: HashMap<SegmentId, HashSet<PersonId>>,
}
