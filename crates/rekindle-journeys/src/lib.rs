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
use rekindle_core::journey::{EntryLimits, Trigger};
use rekindle_core::outreach::CapsConfig;
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::{Enrollment, EnrollmentState, NewEnrollment, Store, StoredEvent};

pub use catalog::Catalog;
pub use occasion::Occasion;
pub use person::contacts_of as person_contacts;
pub use shipped::{Shipped, install, shipped};
pub use walker::Walk;
pub use winners::decide_winners;

use rekindle_engine::Engine;
use walker::{Walker, Walking};

/// How often the catalog is reloaded even if nobody said it changed.
const CATALOG_MAX_AGE: Duration = Duration::from_secs(60);
/// Events read from the log per page.
const PAGE: u32 = 2000;
/// How often the log cursor is written down.
const CURSOR_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// An event older than this (by its own timestamp) when it arrives triggers nothing: a
/// backfill of last year's orders must not ask anyone how their delivery went.
const MAX_TRIGGER_AGE: chrono::Duration = chrono::Duration::hours(24);

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
        }
    }

    pub fn caps(&self) -> &CapsConfig {
        &self.caps
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

    /// Read the log from the cursor up to the horizon.
    pub async fn events(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let store = &*self.store;
        let mut pass = Pass::default();
        let known = self.cursors.lock().unwrap_or_else(|p| p.into_inner()).get(&ws).copied();
        let mut cursor = match known {
            Some((c, _)) => c,
            None => store.journey_cursor(ws).await?,
        };
        let horizon = store.horizon(ws).await?.event;
        while cursor < horizon {
            let page = store.events_between(ws, cursor, horizon, PAGE).await?;
            let Some(last) = page.last().map(|e| e.id) else { break };
            let catalog = self.catalog(ws).await?;
            for e in &page {
                let p = self.on_event(ws, &catalog, e).await?;
                pass.absorb(p);
            }
            pass.events += page.len();
            cursor = last;
            // The cursor is kept in memory and written down at most once a second: after a
            // crash the events since are read again, which enters and sends nobody twice.
            let written = known.map(|(_, at)| at);
            let now = std::time::Instant::now();
            let due = written.is_none_or(|at| now.duration_since(at) >= CURSOR_EVERY);
            if due {
                store.set_journey_cursor(ws, last).await?;
            }
            let at = if due { now } else { written.unwrap_or(now) };
            self.cursors.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, (last, at));
        }
        if pass.queued > 0 {
            self.queued.notify_one();
        }
        Ok(pass)
    }

    async fn on_event(&self, ws: WorkspaceId, catalog: &Catalog, e: &StoredEvent) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let Some(name) = e.name.as_deref() else { return Ok(pass) };
        let properties = e.properties();
        feedback::apply(&*self.store, ws, e, name, properties).await?;
        if catalog.watched.contains(name) {
            let open = self.store.open_enrollments(ws, e.person).await?;
            let taken = self.paths(ws, catalog, e, name, &open).await?;
            pass.absorb(taken);
            pass.closed += self.goals_and_exits(ws, catalog, e, name, open).await?;
        }
        let Some(triggered) = catalog.by_event.get(name) else { return Ok(pass) };
        if e.received_at - e.timestamp > MAX_TRIGGER_AGE {
            return Ok(pass);
        }
        let audience = self.engine.latest(ws);
        let occasion = Occasion::of_event(properties);
        let mut entries = Vec::new();
        for &i in triggered {
            let j = &catalog.journeys[i];
            if e.received_at < j.published_at {
                continue;
            }
            let fits = match &j.definition.trigger {
                Trigger::Event { properties: wanted, .. } => {
                    wanted.iter().all(|(k, v)| properties.get(k).is_some_and(|p| p == v))
                }
                Trigger::LevelChanged { to } => {
                    to.as_deref().is_none_or(|to| properties.get("level").and_then(|l| l.as_str()) == Some(to))
                }
                _ => false,
            };
            if fits {
                entries.push(Entry {
                    journey: j,
                    person: e.person,
                    key: format!("event:{}", e.message_id),
                    occasion: occasion.clone(),
                    at: e.timestamp,
                });
            }
        }
        let p = self.enter(ws, catalog, audience.as_deref(), entries).await?;
        pass.absorb(p);
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
        let enrolled = self.store.enroll_many(ws, &new).await?;
        let walks: Vec<Walking> =
            enrolled.into_iter().zip(admitted).filter_map(|(e, en)| Some(Walking::new(e?, en.occasion))).collect();
        pass.entered = walks.len();
        let walker = Walker::new(&*self.store, ws, catalog, audience, &self.caps, now);
        pass.add_all(walks.len(), walker.walk_all(&walks).await?);
        Ok(pass)
    }

    /// Move on the person's enrollments waiting at an action path this event takes: one that
    /// came while they waited (not before the wait began, not after its timeout).
    async fn paths(
        &self,
        ws: WorkspaceId,
        catalog: &Catalog,
        e: &StoredEvent,
        name: &str,
        open: &[Enrollment],
    ) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let properties = e.properties();
        let mut walks = Vec::new();
        for en in open.iter().filter(|en| en.state == EnrollmentState::Active && !catalog.paused.contains(&en.journey))
        {
            let Some(at) = en.step.as_deref().and_then(|s| s.strip_prefix(rekindle_core::journey::AWAITING)) else {
                continue;
            };
            if e.timestamp < en.updated_at || en.wake_at.is_some_and(|w| e.timestamp > w) {
                continue;
            }
            let Some(d) = catalog.version(&*self.store, ws, en.journey, en.version).await? else { continue };
            // Held out since a refresh: left waiting, to leave at the timeout (control.rs).
            if catalog.holds_out(ws, en.person, &d, self.engine.now()) {
                continue;
            }
            let Some(rekindle_core::journey::Action::WaitFor { paths, .. }) = d.step(at).map(|s| &s.action) else {
                continue;
            };
            if let Some(i) = paths.iter().position(|p| p.takes(name, properties, en.journey)) {
                let occasion = Occasion::from_json(&en.context);
                walks.push(Walking { enrollment: en.clone(), occasion, arrived: Some(i) });
            }
        }
        if !walks.is_empty() {
            let audience = self.engine.latest(ws);
            let walker = Walker::new(&*self.store, ws, catalog, audience.as_deref(), &self.caps, self.engine.now());
            pass.add_all(walks.len(), walker.walk_all(&walks).await?);
        }
        Ok(pass)
    }

    /// Close the person's enrollments this event converts or ends.
    async fn goals_and_exits(
        &self,
        ws: WorkspaceId,
        catalog: &Catalog,
        e: &StoredEvent,
        name: &str,
        open: Vec<Enrollment>,
    ) -> rekindle_store::Result<usize> {
        let mut closed = 0;
        for en in open {
            let Some(d) = catalog.version(&*self.store, ws, en.journey, en.version).await? else { continue };
            let converts = d.goal.as_ref().is_some_and(|g| {
                g.event == name
                    && e.timestamp >= en.entered_at
                    && e.timestamp <= en.entered_at + chrono::Duration::days(i64::from(g.within_days))
            });
            let exits =
                d.exit.iter().any(|x| matches!(x, rekindle_core::journey::Exit::Event { event } if event == name));
            let state = if converts {
                EnrollmentState::Converted
            } else if exits && en.state == EnrollmentState::Active {
                EnrollmentState::Exited
            } else {
                continue;
            };
            self.store.close_enrollment(ws, en.id, state, e.timestamp).await?;
            closed += 1;
        }
        Ok(closed)
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
