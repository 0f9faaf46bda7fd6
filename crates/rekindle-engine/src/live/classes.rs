//! What the monitor needs to know of each viewer, read once per audience: their tier, stage,
//! saved segments (judged by the refresh that made the audience), and whether they are in the
//! private domain, known, and how loyal. The room's composition is then a count: no rule is
//! evaluated while the room is watched.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rekindle_core::lifecycle::{Stage, Tier};
use rekindle_core::live::monitor::Monitor;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{PersonRef, Store};

use crate::Audience;

#[derive(Default)]
pub(super) struct Classes {
    audience: Option<Arc<Audience>>,
    by_person: HashMap<PersonId, Class>,
    names: HashMap<PersonId, Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Class {
    pub tier: Option<Tier>,
    pub stage: Option<Stage>,
    /// Indexes into the audience's saved segments ([`Classes::segments`]).
    pub segments: Vec<u16>,
    pub private: bool,
    pub known: bool,
    pub first_live: Option<DateTime<Utc>>,
    /// Sessions attended.
    pub sessions: u32,
    pub spend_fen: i64,
}

impl Classes {
    /// Start over when the audience changed since the last call (a refresh ran).
    pub fn follow(&mut self, audience: Option<&Arc<Audience>>) {
        let same = match (&self.audience, audience) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.audience = audience.cloned();
            self.by_person.clear();
        }
    }

    /// The saved segments the classes index, as the audience has them.
    pub fn segments(&self) -> &[crate::audience::Saved] {
        self.audience.as_deref().map_or(&[], |a| &a.context.segments)
    }

    pub fn of(&mut self, person: PersonId) -> &Class {
        let audience = &self.audience;
        self.by_person.entry(person).or_insert_with(|| {
            let Some(m) = audience.as_ref().and_then(|a| a.member(person)) else {
                return Class::default();
            };
            Class {
                tier: Some(m.tier),
                stage: Some(m.stage),
                segments: m.segments.to_vec(),
                private: m.profile.reachable(),
                known: m.profile.known(),
                first_live: m.profile.first_live().map(|(at, _)| at),
                sessions: m.profile.sessions().len() as u32,
                spend_fen: m.profile.spend_fen(),
            }
        })
    }

    /// Fill in the names of the people the monitor lists, asking the store once per person.
    pub async fn name(&mut self, store: &dyn Store, ws: WorkspaceId, m: &mut Monitor) -> rekindle_store::Result<()> {
        if self.names.len() > 10_000 {
            self.names.clear();
        }
        let people: Vec<PersonId> =
            m.waiting.iter().map(|w| w.person).chain(m.loyal.iter().map(|l| l.person)).collect();
        for p in people {
            if let std::collections::hash_map::Entry::Vacant(e) = self.names.entry(p) {
                e.insert(store.person(ws, &PersonRef::Id(p)).await?.and_then(|x| x.nickname()));
            }
        }
        for w in &mut m.waiting {
            w.name = self.names[&w.person].clone();
        }
        for l in &mut m.loyal {
            l.name = self.names[&l.person].clone();
        }
        Ok(())
    }
}
