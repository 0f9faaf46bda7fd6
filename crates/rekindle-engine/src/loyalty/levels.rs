//! Level changes (docs/loyalty.md, "Levels"): every member with a ledger or a level is judged
//! by the program (`Program::review`) against the level their profile holds, and each change
//! becomes a `Level Changed` event for the log, so the journeys' level trigger, the timeline
//! and the next judgement all read it back from there. The event's id is the member and the
//! change they were judged from: judged again before the event is folded back, the same
//! change is the same event, which the log keeps once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use chrono::{DateTime, Utc};
use rekindle_core::loyalty::{Change, Entry, Program};
use rekindle_core::{Message, PersonId, WorkspaceId, events};
use rekindle_store::{PersonRef, Store};
use serde_json::json;

use super::reading::Reading;
use crate::Engine;
use crate::audience::Audience;

/// Judges levels when the ledgers or the audience moved since it last did.
pub struct LevelReview {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    /// Per workspace, what the last judgement was made on.
    judged: Mutex<HashMap<WorkspaceId, Judged>>,
}

/// What a workspace's last judgement was made on.
struct Judged {
    reading: Reading,
    /// The level each member held, and since when.
    held: HashMap<PersonId, (DateTime<Utc>, &'static str)>,
    /// The audience `held` was read from ([`Audience::is`]).
    audience: Weak<Audience>,
}

fn held_levels(audience: &Audience) -> HashMap<PersonId, (DateTime<Utc>, &'static str)> {
    audience.members.iter().filter_map(|m| Some((m.person, m.profile.level()?))).collect()
}

impl LevelReview {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>) -> Self {
        Self { store, engine, judged: Mutex::default() }
    }

    /// The `Level Changed` events due now (none when nothing moved since the last call).
    pub async fn changes(&self, ws: WorkspaceId) -> rekindle_store::Result<Vec<Message>> {
        let audience = self.engine.latest(ws);
        let Some(audience) = audience.as_ref() else { return Ok(vec![]) };
        let (now, clock) = (audience.now, self.engine.now());
        let day = audience.context.calendar.day(now);
        // Taken out while judging: a judgement that fails leaves everyone to judge next time.
        let last = self.judged.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
        // Levels held move only with the audience: read again only when a refresh replaced it
        // (the points loop runs on every append; a refresh comes every few seconds).
        let replaced = !last.as_ref().is_some_and(|l| audience.is(&l.audience));
        let (reading, ledgers, held) = match last {
            Some(last) if last.reading.holds(day, clock) => {
                let (held, changed) = match replaced {
                    true => {
                        let held = held_levels(audience);
                        let changed: Vec<PersonId> =
                            held.iter().filter(|(p, h)| last.held.get(p) != Some(h)).map(|(p, _)| *p).collect();
                        (held, changed)
                    }
                    false => (last.held, Vec::new()),
                };
                let (reading, ledgers) = last.reading.moved(&*self.store, ws, changed).await?;
                (reading, ledgers, held)
            }
            _ => {
                let (reading, mut ledgers) = Reading::everyone(&*self.store, ws, day, clock).await?;
                let held = held_levels(audience);
                // Members who hold a level but have no ledger are judged too (a keep period).
                for p in held.keys() {
                    ledgers.entry(*p).or_default();
                }
                (reading, ledgers, held)
            }
        };
        let program = &audience.context.program;
        let mut people: Vec<PersonId> = ledgers.keys().copied().collect();
        people.sort_unstable();
        let mut due = Vec::new();
        for person in people {
            let Some(m) = audience.member(person) else { continue };
            due.extend(judge(program, m, &ledgers[&person], now));
        }
        let mut out = Vec::with_capacity(due.len());
        for (person, change, key) in due {
            if let Some(m) = self.event(ws, program, person, &change, key).await? {
                out.push(m);
            }
        }
        let judged = Judged { reading, held, audience: Arc::downgrade(audience) };
        self.judged.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, judged);
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

/// The member's change due by their ledger, if any, with the key of the level it is judged
/// from (the event's id).
fn judge(
    program: &Program,
    m: &crate::audience::Member,
    ledger: &[Entry],
    now: DateTime<Utc>,
) -> Option<(PersonId, Change, i64)> {
    let held = program.held(m.profile.level());
    if held.is_none() && ledger.is_empty() {
        return None;
    }
    let change = program.review(held, ledger, now)?;
    Some((m.person, change, held.map_or(0, |h| h.since.timestamp_millis())))
}
