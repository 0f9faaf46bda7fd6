use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{Change, IdentityGraph, IdentityPolicy};
use crate::{Identifier, Message, PersonId};

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

/// Plan a batch. `stored` holds the ids of messages already in the store; `known` the stored
/// people owning any identifier the batch mentions (see [`lookup_keys`]).
pub fn plan_batch(
    messages: &[Message],
    stored: &HashSet<String>,
    known: Vec<KnownPerson>,
    policy: &IdentityPolicy,
    mint: &mut dyn FnMut() -> PersonId,
) -> BatchPlan {
    let mut graph = IdentityGraph::new();
    let mut traits: HashMap<PersonId, Map<String, Value>> = HashMap::new();
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
        if !message.traits.is_empty() {
            let entry = traits.entry(resolution.person).or_default();
            entry.extend(message.traits.iter().map(|(k, v)| (k.clone(), v.clone())));
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
