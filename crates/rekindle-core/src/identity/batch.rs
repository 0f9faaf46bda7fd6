use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{Change, IdentityGraph, IdentityPolicy};
use crate::message::TraitsUpdate;
use crate::{Identifier, IdentifierKind, Message, PersonId};

/// A stored person as the planner needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownPerson {
    pub id: PersonId,
    pub identifiers: Vec<Identifier>,
    pub traits: Map<String, Value>,
}

/// A message to store as an event of `person`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedEvent {
    /// Position of the message in the batch.
    pub index: usize,
    pub person: PersonId,
}

/// Everything one batch changes, for a backend to write in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchPlan {
    /// Identity decisions in order, each with the position of the message that caused it.
    pub changes: Vec<(usize, Change)>,
    /// New events with the person they belong to once the whole batch is merged.
    pub events: Vec<PlannedEvent>,
    /// Positions of messages already stored (or repeated within the batch): nothing is written.
    pub duplicates: Vec<usize>,
    /// The traits of every live person the batch changed, whole, to be written over the old.
    pub traits: Vec<(PersonId, Map<String, Value>)>,
}

/// Plan a batch. `stored` holds the ids of messages already in the store. The stored people
/// owning any identifier the batch mentions (see [`lookup_keys`]) are given either whole in
/// `known`, or only as owners in `owners` — enough for the people [`people_needing_detail`]
/// leaves out, which the batch only attributes events to.
pub fn plan_batch(
    messages: &[Message],
    stored: &HashSet<String>,
    known: Vec<KnownPerson>,
    owners: &HashMap<Identifier, PersonId>,
    policy: &IdentityPolicy,
    mint: &mut dyn FnMut() -> PersonId,
) -> BatchPlan {
    let mut graph = IdentityGraph::new();
    let mut traits: HashMap<PersonId, Map<String, Value>> = HashMap::new();
    let whole: HashSet<PersonId> = known.iter().map(|p| p.id).collect();
    for (identifier, person) in owners {
        if !whole.contains(person) {
            graph.load(*person, [identifier.clone()]);
        }
    }
    for person in known {
        graph.load(person.id, person.identifiers);
        traits.insert(person.id, person.traits);
    }
    let mut plan = BatchPlan::default();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut touched: Vec<PersonId> = Vec::new();
    let mut events = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        if stored.contains(&message.message_id) || !seen.insert(&message.message_id) {
            plan.duplicates.push(index);
            continue;
        }
        let resolution = graph.resolve(&message.identifiers, policy, mint);
        for change in resolution.changes {
            if let Change::Merged { from, into, .. } = &change {
                // The survivor keeps its own values; the merged person fills the gaps.
                let absorbed = traits.remove(from).unwrap_or_default();
                let kept = traits.entry(*into).or_default();
                for (k, v) in absorbed {
                    kept.entry(k).or_insert(v);
                }
                touched.push(*into);
            }
            plan.changes.push((index, change));
        }
        if !message.traits.is_empty() || message.update.is_some() {
            // A trait naming an identifier the person does not hold (a link refused, or one
            // that stayed with someone else) is not copied: the person's traits never claim
            // another person's phone or unionid.
            let foreign = |key: &str| {
                message.identifiers.iter().any(|id| {
                    IdentifierKind::TRAIT_KINDS.contains(&id.kind)
                        && id.kind.as_str() == key
                        && !graph.holds(resolution.person, id)
                })
            };
            let kept: Vec<_> = message.traits.iter().filter(|(k, _)| !foreign(k)).collect();
            let entry = traits.entry(resolution.person).or_default();
            TraitsUpdate::Set.apply(entry, kept);
            if let Some((how, changed)) = &message.update {
                how.apply(entry, changed.iter().filter(|(k, _)| !foreign(k)));
            }
            touched.push(resolution.person);
        }
        events.push((index, resolution.person));
    }
    plan.events =
        events.into_iter().map(|(index, person)| PlannedEvent { index, person: graph.find(person) }).collect();
    touched.sort();
    touched.dedup();
    plan.traits = touched
        .into_iter()
        .map(|p| graph.find(p))
        .collect::<HashSet<_>>()
        .into_iter()
        .map(|p| (p, traits.get(&p).cloned().unwrap_or_default()))
        .collect();
    plan.traits.sort_by_key(|(p, _)| *p);
    plan
}

/// The stored people a batch must load whole (every identifier, traits): those a message may
/// link an identifier to, merge, or give traits. `owners` maps each looked-up key to the person
/// holding it. A person left out is only ever the unchanged owner of a message's identifiers,
/// so the planner needs nothing more of it — and most traffic (a known person's track events)
/// then costs no loading at all.
pub fn people_needing_detail(
    messages: &[Message],
    stored: &HashSet<String>,
    owners: &HashMap<Identifier, PersonId>,
) -> HashSet<PersonId> {
    let mut needed = HashSet::new();
    for message in messages.iter().filter(|m| !stored.contains(&m.message_id)) {
        let matched: HashSet<PersonId> = message
            .identifiers
            .iter()
            .flat_map(|id| id.kind.match_kinds().iter().filter_map(|k| owners.get(&id.as_kind(*k)).copied()))
            .collect();
        let links_new = message.identifiers.iter().any(|id| !owners.contains_key(id));
        if matched.len() > 1 || links_new || !message.traits.is_empty() || message.update.is_some() {
            needed.extend(matched);
        }
    }
    needed
}

/// Every stored identifier that could match one of the batch's: what a backend must look up
/// before planning.
pub fn lookup_keys<'a>(messages: impl IntoIterator<Item = &'a Message>) -> Vec<Identifier> {
    let mut keys: Vec<Identifier> = messages
        .into_iter()
        .flat_map(|m| m.identifiers.iter())
        .flat_map(|id| id.kind.match_kinds().iter().map(|k| id.as_kind(*k)))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
