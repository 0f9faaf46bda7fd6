//! Points and growth as rules read them, worked out from every ledger of a workspace once per
//! change of the ledgers, of the program, or of the day (which moves the growth window).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::loyalty::{Ledger, Program, growth};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_rules::PointsFacts;
use rekindle_store::Store;

use crate::audience::Context;

pub type Facts = Arc<HashMap<PersonId, PointsFacts>>;

/// The last facts worked out per workspace, with the ledger version, program and day they are of.
#[derive(Default)]
pub struct PointsCache(Mutex<HashMap<WorkspaceId, Cached>>);

struct Cached {
    version: i64,
    day: NaiveDate,
    program: Arc<Program>,
    facts: Facts,
}

impl PointsCache {
    /// The workspace's facts at `now` and its program, worked out again only when a ledger,
    /// the program or the day changed.
    pub async fn facts(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        context: &Context,
        now: DateTime<Utc>,
    ) -> rekindle_store::Result<(Facts, Arc<Program>)> {
        let day = context.calendar.local(now).date();
        let version = store.points_version(ws).await?;
        let program = store.loyalty_program(ws).await?;
        if let Some(c) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&ws)
            && c.version == version
            && c.day == day
            && *c.program == program
        {
            return Ok((c.facts.clone(), c.program.clone()));
        }
        let (version, by_person) = store.ledgers_by_person(ws).await?;
        let facts: Facts = Arc::new(
            by_person
                .into_iter()
                .map(|(person, entries)| {
                    let growth = growth(&entries, &program, now);
                    let summary = Ledger::new(entries).summary();
                    (person, PointsFacts { balance: summary.balance, growth, expiring: summary.expiring })
                })
                .collect(),
        );
        let program = Arc::new(program);
        let cached = Cached { version, day, program: program.clone(), facts: facts.clone() };
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, cached);
        Ok((facts, program))
    }
}
