//! Reading a workspace's ledgers a little at a time, for the level review and the points facts
//! rules read: between full reads, only the ledgers of the people with entries since the last
//! read (`Points::points_people_since`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::loyalty::Entry;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::Store;

/// Every ledger is read again at least this often (and when the day turns). Between, only the
/// ledgers that gained entries are: reading every one took 0.5–0.65 s for 100,000 members on
/// the project's machine, and under a live room's traffic some ledger moves before nearly
/// every pass (issue 24). The full read is also what catches an entry PostgreSQL committed
/// after a newer one was read (its ids may commit out of order), and a merge that joined two
/// ledgers (it writes no entry).
const EVERYONE_EVERY: chrono::Duration = chrono::Duration::minutes(10);

pub(super) type Ledgers = HashMap<PersonId, Vec<Entry>>;

/// Where a workspace's reading of its ledgers stands.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reading {
    /// The newest ledger entry read.
    version: i64,
    day: NaiveDate,
    /// When every ledger was read last (the engine's clock).
    everyone_at: DateTime<Utc>,
}

impl Reading {
    /// Every ledger of the workspace, read on `day` at `clock`.
    pub(super) async fn everyone(
        store: &dyn Store,
        ws: WorkspaceId,
        day: NaiveDate,
        clock: DateTime<Utc>,
    ) -> rekindle_store::Result<(Self, Ledgers)> {
        let (version, ledgers) = store.ledgers_by_person(ws).await?;
        Ok((Self { version, day, everyone_at: clock }, ledgers))
    }

    /// Whether reading what moved since is enough on `day` at `clock`; if not, read everyone.
    pub(super) fn holds(&self, day: NaiveDate, clock: DateTime<Utc>) -> bool {
        self.day == day && clock - self.everyone_at < EVERYONE_EVERY
    }

    /// The ledgers of the people with entries since this reading and of `also`, each once
    /// (empty when nobody moved), and the reading after them.
    pub(super) async fn moved(
        self,
        store: &dyn Store,
        ws: WorkspaceId,
        also: impl IntoIterator<Item = PersonId>,
    ) -> rekindle_store::Result<(Self, Ledgers)> {
        let (version, mut moved) = store.points_people_since(ws, self.version).await?;
        moved.extend(also);
        let moved: Vec<PersonId> = moved.into_iter().collect::<HashSet<_>>().into_iter().collect();
        let ledgers = if moved.is_empty() { HashMap::new() } else { store.points_entries_of(ws, &moved).await? };
        Ok((Self { version, ..self }, ledgers))
    }
}
