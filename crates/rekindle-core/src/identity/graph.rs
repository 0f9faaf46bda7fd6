use std::collections::HashMap;

use super::IdentityPolicy;
use crate::{Identifier, IdentifierKind, PersonId};

/// One decision of the planner, in the order it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Created {
        person: PersonId,
    },
    Linked {
        person: PersonId,
        identifier: Identifier,
    },
    /// `from` and its identifiers and history now belong to `into`; `via` is the message's
    /// identifier that matched `from`.
    Merged {
        from: PersonId,
        into: PersonId,
        via: Identifier,
    },
    Conflict(Conflict),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Two people matched by one message were kept apart.
    MergeRefused,
    /// A new identifier was not linked to the message's person.
    LinkRefused,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MergeRefused => "merge_refused",
            Self::LinkRefused => "link_refused",
        }
    }
}

impl std::str::FromStr for ConflictKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::MergeRefused, Self::LinkRefused]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown conflict kind {s:?}"))
    }
}

/// A refusal recorded for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub person: PersonId,
    /// The person a merge with was refused.
    pub other: Option<PersonId>,
    /// The identifier that would have been merged or linked.
    pub identifier: Identifier,
    /// The kind whose limit would have been passed, and the limit.
    pub limited_kind: IdentifierKind,
    pub limit: usize,
}

/// What [`IdentityGraph::resolve`] decided for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub person: PersonId,
    pub changes: Vec<Change>,
}

/// The identities of the people a batch touches, held in memory while it is planned.
#[derive(Debug, Default, Clone)]
pub struct IdentityGraph {
    /// Who holds each identifier, by kind (indexed by `kind as usize`) then value: looked up
    /// by `&str`, so matching an identifier under its other kinds copies nothing. Planning
    /// runs inside every append's transaction (issue 24).
    owner: [HashMap<String, PersonId>; IdentifierKind::ALL.len()],
    members: HashMap<PersonId, Vec<Identifier>>,
    redirect: HashMap<PersonId, PersonId>,
}

impl IdentityGraph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a stored person and every identifier it holds.
    pub fn load(&mut self, person: PersonId, identifiers: impl IntoIterator<Item = Identifier>) {
        let ids: Vec<Identifier> = identifiers.into_iter().collect();
        for id in &ids {
            self.owner[id.kind as usize].insert(id.value.clone(), person);
        }
        self.members.entry(person).or_default().extend(ids);
    }

    /// The live person a (possibly merged) id now is.
    pub fn find(&self, mut person: PersonId) -> PersonId {
        while let Some(next) = self.redirect.get(&person) {
            person = *next;
        }
        person
    }

    /// The person holding this exact identifier.
    pub fn owner(&self, id: &Identifier) -> Option<PersonId> {
        self.held(id.kind, &id.value)
    }

    fn held(&self, kind: IdentifierKind, value: &str) -> Option<PersonId> {
        self.owner[kind as usize].get(value).map(|p| self.find(*p))
    }

    /// Live people and their identifiers.
    pub fn people(&self) -> impl Iterator<Item = (PersonId, &[Identifier])> {
        self.members.iter().map(|(p, ids)| (*p, ids.as_slice()))
    }

    fn count(&self, person: PersonId, kind: IdentifierKind) -> usize {
        self.members.get(&person).map_or(0, |ids| ids.iter().filter(|i| i.kind == kind).count())
    }

    /// The people an identifier matches, through its kind's match kinds.
    fn matches<'a>(&'a self, id: &'a Identifier) -> impl Iterator<Item = PersonId> + 'a {
        id.kind.match_kinds().iter().filter_map(|k| self.held(*k, &id.value))
    }

    /// Decide one message. `identifiers` are in precedence order (as [`crate::Message`] keeps
    /// them); `mint` makes the id of a new person.
    pub fn resolve(
        &mut self,
        identifiers: &[Identifier],
        policy: &IdentityPolicy,
        mint: &mut dyn FnMut() -> PersonId,
    ) -> Resolution {
        let mut changes = Vec::new();
        // Matched people, each with the first (highest-precedence) identifier that matched it.
        let mut matched: Vec<(PersonId, &Identifier)> = Vec::new();
        for id in identifiers {
            for p in self.matches(id) {
                if !matched.iter().any(|(m, _)| *m == p) {
                    matched.push((p, id));
                }
            }
        }

        if matched.is_empty() {
            let person = mint();
            self.members.insert(person, Vec::new());
            changes.push(Change::Created { person });
            self.link_all(person, identifiers, policy, &mut changes);
            return Resolution { person, changes };
        }

        // Merge into the oldest, so that the survivor does not depend on message order.
        let mut by_age: Vec<(PersonId, &Identifier)> = matched.clone();
        by_age.sort_by_key(|(p, _)| *p);
        let survivor = by_age[0].0;
        for (other, via) in &by_age[1..] {
            match self.merge_block(survivor, *other, policy) {
                None => {
                    self.merge(*other, survivor);
                    changes.push(Change::Merged { from: *other, into: survivor, via: (*via).clone() });
                }
                Some((limited_kind, limit)) => changes.push(Change::Conflict(Conflict {
                    kind: ConflictKind::MergeRefused,
                    person: survivor,
                    other: Some(*other),
                    identifier: (*via).clone(),
                    limited_kind,
                    limit,
                })),
            }
        }

        // `matched` is in precedence order: its first person is the person of the strongest
        // identifier that is known.
        let person = self.find(matched[0].0);
        let strongest = &identifiers[0];
        if self.matches(strongest).next().is_none()
            && self.count(person, strongest.kind) >= policy.limit(strongest.kind)
        {
            // The strongest identifier is new and that person cannot take it (they hold another
            // userId, another unionid): it names someone else. The refusal is recorded, and the
            // message starts that person rather than landing on the one it was refused by.
            changes.push(Change::Conflict(Conflict {
                kind: ConflictKind::LinkRefused,
                person,
                other: None,
                identifier: strongest.clone(),
                limited_kind: strongest.kind,
                limit: policy.limit(strongest.kind),
            }));
            let named = mint();
            self.members.insert(named, Vec::new());
            changes.push(Change::Created { person: named });
            self.link_all(named, identifiers, policy, &mut changes);
            return Resolution { person: named, changes };
        }
        self.link_all(person, identifiers, policy, &mut changes);
        Resolution { person, changes }
    }

    /// Whether `person` holds `id` (directly, or through its kind's match kinds).
    pub fn holds(&self, person: PersonId, id: &Identifier) -> bool {
        let person = self.find(person);
        self.matches(id).any(|p| p == person)
    }

    fn link_all(
        &mut self,
        person: PersonId,
        identifiers: &[Identifier],
        policy: &IdentityPolicy,
        changes: &mut Vec<Change>,
    ) {
        for id in identifiers {
            if self.owner[id.kind as usize].contains_key(&id.value) {
                continue;
            }
            let limit = policy.limit(id.kind);
            if self.count(person, id.kind) >= limit {
                changes.push(Change::Conflict(Conflict {
                    kind: ConflictKind::LinkRefused,
                    person,
                    other: None,
                    identifier: id.clone(),
                    limited_kind: id.kind,
                    limit,
                }));
                continue;
            }
            self.owner[id.kind as usize].insert(id.value.clone(), person);
            self.members.entry(person).or_default().push(id.clone());
            changes.push(Change::Linked { person, identifier: id.clone() });
        }
    }

    /// The first kind whose limit merging `b` into `a` would pass.
    fn merge_block(&self, a: PersonId, b: PersonId, policy: &IdentityPolicy) -> Option<(IdentifierKind, usize)> {
        IdentifierKind::ALL.into_iter().find_map(|kind| {
            let limit = policy.limit(kind);
            (self.count(a, kind) + self.count(b, kind) > limit).then_some((kind, limit))
        })
    }

    fn merge(&mut self, from: PersonId, into: PersonId) {
        let moved = self.members.remove(&from).unwrap_or_default();
        for id in &moved {
            let held = &mut self.owner[id.kind as usize];
            match held.get_mut(&id.value) {
                Some(holder) => *holder = into,
                None => {
                    held.insert(id.value.clone(), into);
                }
            }
        }
        self.members.entry(into).or_default().extend(moved);
        self.redirect.insert(from, into);
    }
}
