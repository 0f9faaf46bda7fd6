//! Level changes (docs/loyalty.md, "Levels"): every member with a ledger or a level is judged
//! by the program (`Program::review`) against the level their profile holds, and each change
//! becomes a `Level Changed` event for the log, so the journeys' level trigger, the timeline
//! and the next judgement all read it back from there. The event's id is the member and the
//! change they were judged from: judged again before the event is folded back, the same
//! change is the same event, which the log keeps once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rekindle_core::loyalty::{Change, Program};
use rekindle_core::{Message, PersonId, WorkspaceId, events};
use rekindle_store::{PersonRef, Store};
use serde_json::json;

use crate::Engine;

/// Judges levels when the ledgers or the audience moved since it last did.
pub struct LevelReview {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    /// Per workspace, what the last judgement was made on, and when (the engine's clock).
    judged: Mutex<HashMap<WorkspaceId, (Mark, DateTime<Utc>)>>,
}

/// When only ledgers moved, they are judged again at most this often. A judgement reads every
/// ledger of the workspace (100,000 members' took 0.5–0.65 s on the project's machine), and
/// under a live room's traffic the points follower moves some ledger on nearly every pass: it
/// judged back to back beside the event path, six times in the bench's first five seconds
/// (issue 24). The day turning and levels held changing are judged at once.
const LEDGERS_EVERY: chrono::Duration = chrono::Duration::seconds(10);

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
        if let Some(level) = m.profile.level() {
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
        let clock = self.engine.now();
        let last = self.judged.lock().unwrap_or_else(|p| p.into_inner()).get(&ws).copied();
        if let Some((judged, at)) = last {
            let only_ledgers = judged.day == mark.day && judged.held == mark.held;
            if judged == mark || (only_ledgers && clock - at < LEDGERS_EVERY) {
                return Ok(vec![]);
            }
        }
        let program = &audience.context.program;
        let (_, ledgers) = self.store.ledgers_by_person(ws).await?;
        let mut due = Vec::new();
        for m in &audience.members {
            let held = program.held(m.profile.level());
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
        self.judged.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, (mark, clock));
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
        let properties = json!({
            "level": name(change.to), "previous_level": name(change.from),
            "reason": change.reason.as_str(), "growth": change.growth,
        });
        let id = format!("rekindle:level:{person}:{key}");
        match crate::addressed::track(&p, events::LEVEL_CHANGED, &id, properties, change.at, self.engine.now()) {
            Ok(m) => Ok(m),
            Err(e) => {
                // An identifier the ingestion rules refuse: the change is judged again later.
                tracing::warn!(%person, field = %e.field, reason = %e.reason, "a level change could not be written");
                Ok(None)
            }
        }
    }
}
