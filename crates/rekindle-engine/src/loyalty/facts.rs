//! Points and growth as rules read them: worked out from every ledger of a workspace when the
//! program or the day changes (the day moves the growth window) and at least every ten
//! minutes; between, only the ledgers that gained entries are read again (`super::reading`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rekindle_core::loyalty::{Entry, Ledger, Program, growth};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_rules::PointsFacts;
use rekindle_store::Store;

use super::reading::Reading;
use crate::audience::Context;

pub type Facts = Arc<HashMap<PersonId, PointsFacts>>;

/// The last facts worked out per workspace, with the ledger version, program and day they are of.
#[derive(Default)]
pub struct PointsCache(Mutex<HashMap<WorkspaceId, Cached>>);

#[derive(Clone)]
struct Cached {
    reading: Reading,
    program: Arc<Program>,
    facts: Facts,
    /// How many ledgers the last call read, for the tests: `None` when it read every one.
    #[cfg_attr(not(test), allow(dead_code))]
    ledgers_read: Option<usize>,
}

fn facts_of(entries: Vec<Entry>, program: &Program, now: DateTime<Utc>) -> PointsFacts {
    let growth = growth(&entries, program, now);
    let summary = Ledger::new(entries).summary();
    PointsFacts { balance: summary.balance, growth, expiring: summary.expiring }
}

impl PointsCache {
    /// The workspace's facts at `now` and its program. Reading every ledger took 0.3–0.6 s
    /// of each refresh at 100,000 members while some ledger moved before nearly every one
    /// (issue 24); so between full reads only the people with new entries are read again.
    /// That misses a merge that joined two ledgers (no entry is written) and, on PostgreSQL,
    /// an entry committed after a newer one was read: the full read catches both, as the
    /// level review's does (`super::levels`).
    pub async fn facts(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        context: &Context,
        now: DateTime<Utc>,
    ) -> rekindle_store::Result<(Facts, Arc<Program>)> {
        let day = context.calendar.local(now).date();
        let program = store.loyalty_program(ws).await?;
        let last = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&ws).cloned();
        let next = match last {
            Some(last) if last.reading.holds(day, now) && *last.program == program => {
                let (reading, ledgers) = last.reading.moved(store, ws, []).await?;
                if ledgers.is_empty() {
                    Cached { reading, ledgers_read: Some(0), ..last }
                } else {
                    let mut facts = (*last.facts).clone();
                    let ledgers_read = Some(ledgers.len());
                    for (person, entries) in ledgers {
                        facts.insert(person, facts_of(entries, &program, now));
                    }
                    Cached { reading, facts: Arc::new(facts), ledgers_read, ..last }
                }
            }
            _ => {
                let (reading, by_person) = Reading::everyone(store, ws, day, now).await?;
                let facts =
                    by_person.into_iter().map(|(person, entries)| (person, facts_of(entries, &program, now))).collect();
                Cached { reading, program: Arc::new(program), facts: Arc::new(facts), ledgers_read: None }
            }
        };
        let out = (next.facts.clone(), next.program.clone());
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, next);
        Ok(out)
    }

    /// How many ledgers the workspace's last call read (`None`: every one).
    #[cfg(test)]
    fn last_read(&self, ws: WorkspaceId) -> Option<Option<usize>> {
        self.0.lock().unwrap().get(&ws).map(|c| c.ledgers_read)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use rekindle_core::loyalty::Kind;
    use rekindle_store::DEFAULT_WORKSPACE;
    use rekindle_store::prelude::*;

    use super::*;

    fn earn(source: &str, points: i64, at: DateTime<Utc>) -> Entry {
        Entry { kind: Kind::Earn, points, source: source.into(), reason: String::new(), at, expires_at: None }
    }

    /// Between full reads only the ledgers with new entries are read, and the facts are
    /// the ones a full read would give; everyone is read again after ten minutes and when
    /// the program changes.
    #[tokio::test]
    async fn only_the_ledgers_that_moved_are_read_and_everyone_every_ten_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let store = rekindle_store_sqlite::SqliteStore::open(dir.path()).await.unwrap();
        let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
        let start: DateTime<Utc> = "2026-05-01T04:00:00Z".parse().unwrap();
        let context = Context::load(&store, ws, crate::Judging::default()).await.unwrap();
        let (a, b) = (PersonId::new_v7(), PersonId::new_v7());
        store.post_points(ws, a, &[earn("order:a1", 100, start)]).await.unwrap();
        store.post_points(ws, b, &[earn("order:b1", 50, start)]).await.unwrap();
        let cache = PointsCache::default();
        let balance = |f: &Facts, p: PersonId| f.get(&p).map(|f| (f.balance, f.growth));

        let (facts, _) = cache.facts(&store, ws, &context, start).await.unwrap();
        assert_eq!(cache.last_read(ws), Some(None), "the first call reads every ledger");
        assert_eq!((balance(&facts, a), balance(&facts, b)), (Some((100, 100)), Some((50, 50))));

        let later = start + Duration::minutes(1);
        store.post_points(ws, a, &[earn("order:a2", 30, later)]).await.unwrap();
        let (facts, _) = cache.facts(&store, ws, &context, later).await.unwrap();
        assert_eq!(cache.last_read(ws), Some(Some(1)), "only a's ledger moved");
        assert_eq!((balance(&facts, a), balance(&facts, b)), (Some((130, 130)), Some((50, 50))));
        let full = PointsCache::default().facts(&store, ws, &context, later).await.unwrap().0;
        assert_eq!(*facts, *full, "what a full read gives");

        cache.facts(&store, ws, &context, later).await.unwrap();
        assert_eq!(cache.last_read(ws), Some(Some(0)), "nothing moved since");
        cache.facts(&store, ws, &context, start + Duration::minutes(10)).await.unwrap();
        assert_eq!(cache.last_read(ws), Some(None), "everyone, ten minutes after the last full read");

        let program = Program { growth_days: 30, ..Program::default() };
        store.put_loyalty_program(ws, &program, later).await.unwrap();
        cache.facts(&store, ws, &context, start + Duration::minutes(11)).await.unwrap();
        assert_eq!(cache.last_read(ws), Some(None), "everyone, when the program changed");
    }
}
