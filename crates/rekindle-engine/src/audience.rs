//! Everyone in a workspace with their profile, stage and tier, ready for rules.
//!
//! Built by one pass over the workspace's events (newest first, a page at a time). Profiles
//! are kept per person in memory; the incremental, stored form comes with live segments.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use rekindle_core::lifecycle::{LifecycleConfig, Stage, Tier};
use rekindle_core::profile::{Profile, ProfileEvent};
use rekindle_core::segment::{Rule, Subject};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{EventQuery, Store};

/// Share of people in the high and potential tiers (the rest are edge), by spend in the
/// last 365 days.
pub const HIGH_SHARE: f64 = 0.10;
pub const POTENTIAL_SHARE: f64 = 0.30;

pub struct Member {
    pub person: PersonId,
    pub profile: Profile,
    pub stage: Stage,
    pub tier: Tier,
}

pub struct Audience {
    pub now: DateTime<Utc>,
    /// By person id.
    pub members: Vec<Member>,
}

impl Audience {
    /// Every person with events in `ws`, as of `now` (events after it are left out).
    pub async fn load(
        store: &dyn Store,
        ws: WorkspaceId,
        now: DateTime<Utc>,
        lifecycle: &LifecycleConfig,
    ) -> rekindle_store::Result<Self> {
        let mut profiles: HashMap<PersonId, Profile> = HashMap::new();
        let mut query = EventQuery { to: Some(now + Duration::milliseconds(1)), limit: 5000, ..Default::default() };
        loop {
            let page = store.events(ws, &query).await?;
            for e in &page {
                let properties = e.payload.get("properties").unwrap_or(&serde_json::Value::Null);
                let name = e.name.as_deref().unwrap_or(e.kind.as_str());
                profiles.entry(e.person).or_default().apply(ProfileEvent { at: e.timestamp, name, properties });
            }
            if page.len() < query.limit as usize {
                break;
            }
            query.before = page.last().map(|e| e.cursor());
        }
        let mut people: Vec<(PersonId, Profile)> = profiles.into_iter().collect();
        people.sort_by_key(|(id, _)| *id);
        let spend: Vec<i64> = people.iter().map(|(_, p)| p.spend_within(now, 365)).collect();
        let tiers = Tier::by_rank(&spend, HIGH_SHARE, POTENTIAL_SHARE);
        // Sorted by person id (above), so `member` can search.
        let members = people
            .into_iter()
            .zip(tiers)
            .map(|((person, profile), tier)| Member { stage: lifecycle.stage(&profile, now), person, profile, tier })
            .collect();
        Ok(Self { now, members })
    }

    pub fn member(&self, person: PersonId) -> Option<&Member> {
        self.members.binary_search_by_key(&person, |m| m.person).ok().map(|i| &self.members[i])
    }

    /// How many members are in each stage, in [`Stage::ALL`] order.
    pub fn stage_counts(&self) -> Vec<(Stage, usize)> {
        Stage::ALL.into_iter().map(|s| (s, self.members.iter().filter(|m| m.stage == s).count())).collect()
    }

    /// How many members are in each tier, best first.
    pub fn tier_counts(&self) -> Vec<(Tier, usize)> {
        [Tier::High, Tier::Potential, Tier::Edge]
            .into_iter()
            .map(|t| (t, self.members.iter().filter(|m| m.tier == t).count()))
            .collect()
    }

    /// The members `rule` selects.
    pub fn select<'a>(&'a self, rule: &'a Rule) -> impl Iterator<Item = &'a Member> + 'a {
        let no_tags = BTreeSet::new();
        self.members.iter().filter(move |m| {
            let subject = Subject { profile: &m.profile, stage: m.stage, tier: m.tier, tags: &no_tags };
            rule.matches(&subject, self.now)
        })
    }
}
