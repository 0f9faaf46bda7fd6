//! The points ledger (`rekindle_core::loyalty`) and the store's loyalty program.

use std::collections::HashMap;

use crate::Result;
use chrono::{DateTime, Utc};
use rekindle_core::loyalty::{Entry, Posted, Program};
use rekindle_core::{PersonId, WorkspaceId};

/// A redemption as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub person: PersonId,
    pub entry: Entry,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Given back (cancelled, or its order refunded).
    pub released: bool,
}

/// Points: entries written once per source, a debit only when the balance covers it, each
/// write in one transaction, so racing redemptions never overspend. A person's ledger is
/// theirs and that of everyone OneID merged into them.
#[async_trait::async_trait]
pub trait Points: Send + Sync {
    /// Write entries for one person, in order, each by the ledger's rule
    /// (`rekindle_core::loyalty::ledger::admits`) and once per source; what each did.
    async fn post_points(&self, ws: WorkspaceId, person: PersonId, entries: &[Entry]) -> Result<Vec<Posted>> {
        let entries: Vec<(PersonId, Entry)> = entries.iter().map(|e| (person, e.clone())).collect();
        self.post_points_of_many(ws, &entries).await
    }
    /// [`Points::post_points`] for many (person, entry) pairs in one transaction, in order.
    async fn post_points_of_many(&self, ws: WorkspaceId, entries: &[(PersonId, Entry)]) -> Result<Vec<Posted>>;
    /// The person's entries (and those of people merged into them), in written order.
    async fn points_entries(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<Entry>>;
    /// [`Points::points_entries`] of each of `people` (every one of them a key, empty if
    /// they have none). A backend that reads in one statement what this reads person by
    /// person overrides it.
    async fn points_entries_of(
        &self,
        ws: WorkspaceId,
        people: &[PersonId],
    ) -> Result<std::collections::HashMap<PersonId, Vec<Entry>>> {
        let mut out = std::collections::HashMap::with_capacity(people.len());
        for p in people {
            if !out.contains_key(p) {
                out.insert(*p, self.points_entries(ws, *p).await?);
            }
        }
        Ok(out)
    }
    /// The redemption written with source `redeem:{key}`, if any.
    async fn redemption(&self, ws: WorkspaceId, key: &str) -> Result<Option<Redemption>>;
    /// Confirm a held redemption (the order went through); `false` when there is none to
    /// confirm (unknown, or already given back). Confirming twice is confirming once.
    async fn confirm_redemption(&self, ws: WorkspaceId, key: &str, at: DateTime<Utc>) -> Result<bool>;
    /// Every person with entries and their balance (people merged into another count under
    /// them).
    async fn points_balances(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, i64)>>;
    /// Every entry of the workspace with its person as they are now (people merged into
    /// another under them), in written order; and the newest entry's id, which changes
    /// whenever anything is written.
    async fn points_ledgers(&self, ws: WorkspaceId) -> Result<(i64, Vec<(PersonId, Entry)>)>;
    /// [`Points::points_ledgers`] as one ledger per person, each in written order.
    async fn ledgers_by_person(&self, ws: WorkspaceId) -> Result<(i64, HashMap<PersonId, Vec<Entry>>)> {
        let (version, all) = self.points_ledgers(ws).await?;
        let mut by_person: HashMap<PersonId, Vec<Entry>> = HashMap::new();
        for (person, e) in all {
            by_person.entry(person).or_default().push(e);
        }
        Ok((version, by_person))
    }
    /// The newest entry's id (0 without any): a ledger read at this id is still current.
    async fn points_version(&self, ws: WorkspaceId) -> Result<i64>;
    /// The people with entries written after `after` (an id from [`Points::points_version`]
    /// or from here), each once and as they are now (people merged into another under them),
    /// in no order; and the newest entry's id read (`after` without any). Where ids may commit
    /// out of order (PostgreSQL), an entry committed late under an older id is not here.
    async fn points_people_since(&self, ws: WorkspaceId, after: i64) -> Result<(i64, Vec<PersonId>)>;
    /// The last event the points follower acted on (0 before the first).
    async fn points_cursor(&self, ws: WorkspaceId) -> Result<i64>;
    /// Move the follower's cursor; it only moves forward.
    async fn set_points_cursor(&self, ws: WorkspaceId, cursor: i64) -> Result<()>;
    /// The workspace's program; the defaults until one is saved.
    async fn loyalty_program(&self, ws: WorkspaceId) -> Result<Program>;
    /// Replace the program (checked by `Program::check`).
    async fn put_loyalty_program(&self, ws: WorkspaceId, program: &Program, at: DateTime<Utc>) -> Result<()>;
}
