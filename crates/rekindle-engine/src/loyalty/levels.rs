//! Level changes (docs/loyalty.md, "Levels"): every member with a ledger or a level is judged
//! by the program (`Program::review`) against the level their profile holds, and each change
//! becomes a `Level Changed` event for the log, so the journeys' level trigger, the timeline
//! and the next judgement all read it back from there. The event's id is the member and the
//! change they were judged from: judged again before the event is folded back, the same
//! change is the same event, which the log keeps once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rekindle_core::loyalty::{Change, Program};
use rekindle_core::message::Arrival;
use rekindle_core::{IdentifierKind, Message, PersonId, WorkspaceId, events};
use rekindle_store::{PersonRef, Store};
use serde_json::{Value, json};

use crate::Engine;

/// Judges levels when the ledgers or the audience moved since it last did.
pub struct LevelReview {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    /// Per workspace, what the last judgement was made on.
    judged: Mutex<HashMap<WorkspaceId, Mark>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    version: i64,
    day: chrono::NaiveDate,
    /// A digest of every level held and since when.
    held: u64,
}

fn held_levels(members: &[crate::audience::Member]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for m in members {
        if let Some(level) = m.profile.level {
            (m.person, level).hash(&mut h);
        }
    }
    h.finish()
}

impl LevelReview {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>) -> Self {
        Self { store, engine, judged: Mutex::default() }
    }

    /// The `Level Changed` events due now (none when nothing moved since the last call).
    pub async fn changes(&self, ws: WorkspaceId) -> rekindle_store::Result<Vec<Message>> {
        let audience = self.engine.latest(ws);
        let Some(audience) = audience.as_ref() else { return Ok(vec![]) };
        let now = audience.now;
        // Judged again only when a ledger, the day (a keep period may end) or a level held
        // moved: the whole workspace's ledgers are not read on every refresh.
        let mark = Mark {
            version: self.store.points_version(ws).await?,
            day: audience.context.calendar.day(now),
            held: held_levels(&audience.members),
        };
        if self.judged.lock().unwrap_or_else(|p| p.into_inner()).get(&ws) == Some(&mark) {
            return Ok(vec![]);
        }
        let program = &audience.context.program;
        let (_, ledgers) = self.store.ledgers_by_person(ws).await?;
        let mut due = Vec::new();
        for m in &audience.members {
            let held = program.held(m.profile.level);
            let ledger = ledgers.get(&m.person).map_or(&[][..], Vec::as_slice);
            if held.is_none() && ledger.is_empty() {
                continue;
            }
            if let Some(change) = program.review(held, ledger, now) {
                let key = held.map_or(0, |h| h.since.timestamp_millis());
                due.push((m.person, change, key));
            }
        }
        let mut out = Vec::with_capacity(due.len());
        for (person, change, key) in due {
            if let Some(m) = self.event(ws, program, person, &change, key).await? {
                out.push(m);
            }
        }
        self.judged.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, mark);
        Ok(out)
    }

    /// The change as a message addressed to the person by an identifier they hold (none
    /// for someone erased or without one).
    async fn event(
        &self,
        ws: WorkspaceId,
        program: &Program,
        person: PersonId,
        change: &Change,
        key: i64,
    ) -> rekindle_store::Result<Option<Message>> {
        let Some(p) = self.store.person(ws, &PersonRef::Id(person)).await? else { return Ok(None) };
        let name = |i: usize| program.levels.get(i).map_or_else(String::new, |l| l.name.clone());
        let mut json = json!({
            "type": "track",
            "event": events::LEVEL_CHANGED,
            "messageId": format!("rekindle:level:{person}:{key}"),
            "timestamp": change.at.to_rfc3339(),
            "properties": {
                "level": name(change.to), "previous_level": name(change.from),
                "reason": change.reason.as_str(), "growth": change.growth,
            },
            "context": {"library": {"name": "rekindle"}},
        });
        if !address(&mut json, person, p.identities.iter().map(|i| (i.identifier.kind, i.identifier.value.as_str()))) {
            return Ok(None);
        }
        let arrival = Arrival { historical: true, ..Arrival::live(self.engine.now()) };
        match Message::parse(&json.to_string(), None, &arrival) {
            Ok(m) => Ok(Some(m)),
            Err(e) => {
                // An identifier the ingestion rules refuse: the change is judged again later.
                tracing::warn!(%person, field = %e.field, reason = %e.reason, "a level change could not be written");
                Ok(None)
            }
        }
    }
}

/// Address a message to whoever holds one of `ids`: a user id or anonymous id as itself,
/// else any other identifier as a trait beside an id of Rekindle's own (as a send's
/// timeline event is). `false` when there is nothing to address them by.
fn address<'a>(
    json: &mut Value,
    person: PersonId,
    ids: impl Iterator<Item = (IdentifierKind, &'a str)> + Clone,
) -> bool {
    for (kind, key) in [(IdentifierKind::UserId, "userId"), (IdentifierKind::AnonymousId, "anonymousId")] {
        if let Some((_, v)) = ids.clone().find(|(k, _)| *k == kind) {
            json[key] = v.into();
            return true;
        }
    }
    let Some((kind, v)) = ids.clone().find(|(k, _)| *k != IdentifierKind::PreviousId) else { return false };
    json["anonymousId"] = format!("rekindle:{person}").into();
    json["context"]["traits"] = json!({ kind.as_str(): v });
    true
}
