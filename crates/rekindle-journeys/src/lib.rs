//! Journeys and delivery: the runner that walks people through journeys, and the dispatcher
//! that hands the outbox to the providers. The only crate that links the providers
//! (`rekindle-delivery`); the engine it reads audiences from does not.
//!
//! The journey runner ([`Runner`]): reads the log as it grows, enters people into journeys their events
//! (or segment and stage changes, dates, predictions) trigger, walks them to their next wait,
//! wakes them when it ends, and watches for goals and exits (docs/journeys.md).
//!
//! Every step is idempotent against the store: an enrollment is keyed by its trigger, a walk
//! only writes if the enrollment has not moved, a message only once per send key. So the
//! runner can die anywhere and pick up from its cursor without entering or sending twice.

mod catalog;
mod control;
mod current;
pub mod dispatch;
mod feedback;
mod live;
mod log_reader;
mod metrics;
mod occasion;
mod person;
mod scheduled;
mod send_time;
mod shipped;
pub mod test_send;
mod walker;
pub mod wecom;
mod winners;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rekindle_core::journey::EntryLimits;
use rekindle_core::outreach::CapsConfig;
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Enrollment, NewEnrollment, Store, WalkedEntry};

pub use catalog::Catalog;
pub use metrics::JourneyMetrics;
pub use occasion::Occasion;
pub use person::contacts_of as person_contacts;
pub use shipped::{Shipped, install, shipped};
pub use walker::Walk;
pub use winners::decide_winners;

use rekindle_engine::Engine;
use walker::{Walker, Walking};

/// How often the catalog is reloaded even if nobody said it changed: a journey published
/// through another node (docs/deploy.md, "Several nodes") runs on the leader within this.
const CATALOG_MAX_AGE: Duration = Duration::from_secs(5);

pub struct Runner {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    caps: CapsConfig,
    catalogs: Mutex<HashMap<WorkspaceId, Arc<Catalog>>>,
    /// Woken whenever a walk queued a message, so the dispatcher need not poll.
    pub queued: Arc<tokio::sync::Notify>,
    /// Dated triggers' occurrences this process has looked at: (journey, version, occurrence).
    looked: Mutex<std::collections::HashSet<(JourneyId, i32, String)>>,
    /// Each workspace's position in the log, and when it was last written down.
    cursors: Mutex<HashMap<WorkspaceId, (i64, std::time::Instant)>>,
    /// Each workspace's position in the recorded segment and stage changes.
    change_cursors: Mutex<HashMap<WorkspaceId, rekindle_store::ChangeCursors>>,
    /// The live rooms, for journeys that start on moments in them (see [`Runner::with_live`]).
    live: Option<Arc<rekindle_engine::live::LiveRooms>>,
    metrics: JourneyMetrics,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub events: usize,
    pub entered: usize,
    pub walked: usize,
    pub queued: usize,
    pub skipped: usize,
    pub closed: usize,
}

impl Pass {
    /// Count another pass's work in this one (its events are counted where they are read).
    fn absorb(&mut self, other: Pass) {
        self.entered += other.entered;
        self.walked += other.walked;
        self.queued += other.queued;
        self.skipped += other.skipped;
        self.closed += other.closed;
    }

    fn add_all(&mut self, walked: usize, w: Walk) {
        self.walked += walked;
        self.queued += w.queued;
        self.skipped += w.skipped;
    }
}

/// A person about to enter a journey, and why.
struct Entry<'a> {
    journey: &'a catalog::LiveJourney,
    person: rekindle_core::PersonId,
    key: String,
    occasion: Occasion,
    at: DateTime<Utc>,
}

impl Runner {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>, caps: CapsConfig) -> Self {
        Self {
            store,
            engine,
            caps,
            catalogs: Mutex::default(),
            queued: Arc::default(),
            looked: Mutex::default(),
            cursors: Mutex::default(),
            change_cursors: Mutex::default(),
            live: None,
            metrics: JourneyMetrics::default(),
        }
    }

    pub fn caps(&self) -> &CapsConfig {
        &self.caps
    }

    /// How long triggering events take to be read and entered (for `/metrics`).
    pub fn metrics(&self) -> &JourneyMetrics {
        &self.metrics
    }

    /// Forget where this node read the log and the change feeds to: it (again) leads the
    /// workspace, and the node that led meanwhile wrote down how far it got.
    pub fn forget_position(&self, ws: WorkspaceId) {
        self.cursors.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
        self.change_cursors.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    /// Forget the workspace's catalog: a journey, template or coupon changed.
    pub fn invalidate(&self, ws: WorkspaceId) {
        self.catalogs.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    pub async fn catalog(&self, ws: WorkspaceId) -> rekindle_store::Result<Arc<Catalog>> {
        let cached = self.catalogs.lock().unwrap_or_else(|p| p.into_inner()).get(&ws).cloned();
        if let Some(c) = cached
            && c.loaded.elapsed() < CATALOG_MAX_AGE
        {
            return Ok(c);
        }
        let fresh = Arc::new(Catalog::load(&*self.store, ws).await?);
        self.catalogs.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, fresh.clone());
        Ok(fresh)
    }

    /// Everything due in a workspace: new events, then [`Runner::background`].
    pub async fn run(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let mut pass = self.events(ws).await?;
        let rest = self.background(ws).await?;
        pass.absorb(rest);
        Ok(pass)
    }

    /// What is not an event: segment and stage changes, waits that ended, dated triggers,
    /// moments in live rooms.
    /// `serve` runs it beside [`Runner::events`], so a large scan never delays an event.
    pub async fn background(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let mut pass = self.changes(ws).await?;
        let due = self.wake(ws).await?;
        let dated = self.dated(ws).await?;
        let live = self.live(ws).await?;
        for p in [due, dated, live] {
            pass.absorb(p);
        }
        if pass.queued > 0 {
            self.queued.notify_one();
        }
        Ok(pass)
    }

    /// Enter people (where the audience rule and re-entry policy allow) and walk them at once:
    /// two transactions however many there are.
    async fn enter(
        &self,
        ws: WorkspaceId,
        catalog: &Catalog,
        audience: Option<&rekindle_engine::Audience>,
        entries: Vec<Entry<'_>>,
    ) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let now = self.engine.now();
        let mut admitted: Vec<Entry> = Vec::with_capacity(entries.len());
        for en in entries {
            if catalog.holds_out(ws, en.person, &en.journey.definition, now) {
                continue;
            }
            if let Some(rule) = en.journey.definition.audience.as_deref() {
                // An audience with `did` terms reads the person's events first.
                let asked = catalog.asked(&en.journey.definition, Some(rule));
                let history = match asked.is_empty() {
                    true => None,
                    false => Some(person::history(&*self.store, ws, en.person, &asked, None).await?),
                };
                let facts = person::PersonFacts {
                    history: history.as_ref(),
                    occasion: Some(&en.occasion),
                    ..person::PersonFacts::new(audience, en.person, catalog, now)
                };
                if !rekindle_core::journey::Facts::matches(&facts, rule) {
                    continue;
                }
            }
            admitted.push(en);
        }
        if admitted.is_empty() {
            return Ok(pass);
        }
        let new: Vec<NewEnrollment> = admitted
            .iter()
            .map(|en| NewEnrollment {
                journey: en.journey.id,
                version: en.journey.version,
                person: en.person,
                trigger_key: en.key.clone(),
                reentry: en.journey.definition.reentry,
                context: en.occasion.to_json(),
                at: en.at.min(now),
                limits: EntryLimits::of(&en.journey.definition.limits, en.at.min(now), catalog.tz),
            })
            .collect();
        let walker = Walker::new(&*self.store, ws, catalog, audience, &self.caps, now);
        // Each entry's first walk is planned before the entry is written, under an id reserved
        // for it, and both are one write: on SQLite an event's entries then wait for the one
        // writer once, not twice (issue 24). A walk that would write elsewhere first (a coupon,
        // a tag, points) is planned only once its entry is in: entered after the others.
        let ids = self.store.reserve_enrollment_ids(new.len()).await?;
        let (mut walked, mut later) = (Vec::new(), Vec::new());
        for ((n, en), id) in new.into_iter().zip(admitted).zip(ids) {
            let first = en.journey.definition.steps.first().map(|s| s.id.clone());
            match walker.plan_contained(&Enrollment::entering(id, &n, first), &en.occasion).await? {
                Some(walk) => walked.push(WalkedEntry { id, entry: n, walk }),
                None => later.push((n, en)),
            }
        }
        if !walked.is_empty() {
            // `None`: refused, its walk dropped.
            for queued in self.store.enter_walked(ws, &walked, &self.caps).await?.into_iter().flatten() {
                pass.entered += 1;
                pass.add_all(1, Walk::of(Some(queued)));
            }
        }
        if !later.is_empty() {
            let (new, admitted): (Vec<NewEnrollment>, Vec<Entry>) = later.into_iter().unzip();
            let enrolled = self.store.enroll_many(ws, &new).await?;
            let walks: Vec<Walking> =
                enrolled.into_iter().zip(admitted).filter_map(|(e, en)| Some(Walking::new(e?, en.occasion))).collect();
            pass.entered += walks.len();
            pass.add_all(walks.len(), walker.walk_all(&walks).await?);
        }
        Ok(pass)
    }

    /// Walk everyone whose wait is over.
    pub async fn wake(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let now = self.engine.now();
        let catalog = self.catalog(ws).await?;
        let audience = self.engine.latest(ws);
        let due: Vec<Enrollment> = self.store.due_enrollments(ws, now, 1000).await?;
        let due = control::release(&*self.store, ws, &catalog, due, now).await?;
        let walks: Vec<Walking> = due
            .into_iter()
            .filter(|e| !catalog.paused.contains(&e.journey))
            .map(|e| {
                let occasion = Occasion::from_json(&e.context);
                Walking::new(e, occasion)
            })
            .collect();
        if !walks.is_empty() {
            let walker = Walker::new(&*self.store, ws, &catalog, audience.as_deref(), &self.caps, now);
            pass.add_all(walks.len(), walker.walk_all(&walks).await?);
        }
        if pass.queued > 0 {
            self.queued.notify_one();
        }
        Ok(pass)
    }
}
