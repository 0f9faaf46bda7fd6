//! Points and levels as rules read them, worked out from every ledger of a workspace once per
//! change of the ledgers (or of the day, which moves the level's growth window).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::loyalty::{Entry, Ledger, growth};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_rules::PointsFacts;
use rekindle_store::Store;

use crate::audience::Context;

pub type Facts = Arc<HashMap<PersonId, PointsFacts>>;

/// The last facts worked out per workspace, with the ledger version and day they are of.
#[derive(Default)]
pub struct PointsCache(Mutex<HashMap<WorkspaceId, (i64, NaiveDate, Facts)>>);

impl PointsCache {
    /// The workspace's facts at `now`, read again only when a ledger or the day changed.
    pub async fn facts(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        context: &Context,
        now: DateTime<Utc>,
    ) -> rekindle_store::Result<Facts> {
        let day = context.calendar.local(now).date();
        let version = store.points_version(ws).await?;
        if let Some((v, d, f)) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&ws)
            && *v == version
            && *d == day
        {
            return Ok(f.clone());
        }
        let program = store.loyalty_program(ws).await?;
        let (version, all) = store.points_ledgers(ws).await?;
        let mut by_person: HashMap<PersonId, Vec<Entry>> = HashMap::new();
        for (person, e) in all {
            by_person.entry(person).or_default().push(e);
        }
        let facts: Facts = Arc::new(
            by_person
                .into_iter()
                .map(|(person, entries)| {
                    let level = program.level_of(growth(&entries, &program, now)) as u32 + 1;
                    let summary = Ledger::new(entries).summary();
                    (person, PointsFacts { balance: summary.balance, level, expiring: summary.expiring })
                })
                .collect(),
        );
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, (version, day, facts.clone()));
        Ok(facts)
    }
}
