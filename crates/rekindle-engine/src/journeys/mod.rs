//! The journey runner: reads the log as it grows, enters people into journeys their events
//! (or segment and stage changes, dates, predictions) trigger, walks them to their next wait,
//! wakes them when it ends, and watches for goals and exits (docs/journeys.md).
//!
//! Every step is idempotent against the store: an enrollment is keyed by its trigger, a walk
//! only writes if the enrollment has not moved, a message only once per send key. So the
//! runner can die anywhere and pick up from its cursor without entering or sending twice.

mod catalog;
mod feedback;
mod occasion;
mod person;
mod scheduled;
mod shipped;
mod walker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::delivery::CapsConfig;
use rekindle_core::journey::Trigger;
use rekindle_store::{Enrollment, EnrollmentState, NewEnrollment, Store, StoredEvent};

pub use catalog::Catalog;
pub use occasion::Occasion;
pub use shipped::{Shipped, shipped};
pub use walker::Walk;

use crate::engine::Engine;
use walker::Walker;

/// How often the catalog is reloaded even if nobody said it changed.
const CATALOG_MAX_AGE: Duration = Duration::from_secs(60);
/// Events read from the log per page.
const PAGE: u32 = 2000;

pub struct Runner {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    caps: CapsConfig,
    catalogs: Mutex<HashMap<WorkspaceId, Arc<Catalog>>>,
    /// Woken whenever a walk queued a message, so the dispatcher need not poll.
    pub queued: Arc<tokio::sync::Notify>,
    /// Dated triggers' occurrences this process has looked at: (journey, version, occurrence).
    looked: Mutex<std::collections::HashSet<(i64, i32, String)>>,
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
    fn add(&mut self, w: Walk) {
        self.walked += usize::from(!w.stale);
        self.queued += w.queued;
        self.skipped += w.skipped;
    }
}

impl Runner {
    pub fn new(store: Arc<dyn Store>, engine: Arc<Engine>, caps: CapsConfig) -> Self {
        Self { store, engine, caps, catalogs: Mutex::default(), queued: Arc::default(), looked: Mutex::default() }
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

    /// Everything due in a workspace: new events, segment and stage changes, waits that ended,
    /// dated triggers.
    pub async fn run(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let mut pass = self.events(ws).await?;
        let changes = self.changes(ws).await?;
        let due = self.wake(ws).await?;
        let dated = self.dated(ws).await?;
        for p in [changes, due, dated] {
            pass.entered += p.entered;
            pass.walked += p.walked;
            pass.queued += p.queued;
            pass.skipped += p.skipped;
            pass.closed += p.closed;
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
        let mut cursor = store.journey_cursor(ws).await?;
        let horizon = store.horizon(ws).await?.event;
        while cursor < horizon {
            let page = store.events_between(ws, cursor, horizon, PAGE).await?;
            let Some(last) = page.last().map(|e| e.id) else { break };
            let catalog = self.catalog(ws).await?;
            for e in &page {
                let p = self.on_event(ws, &catalog, e).await?;
                pass.entered += p.entered;
                pass.walked += p.walked;
                pass.queued += p.queued;
                pass.skipped += p.skipped;
                pass.closed += p.closed;
            }
            pass.events += page.len();
            store.set_journey_cursor(ws, last).await?;
            cursor = last;
        }
        if pass.queued > 0 {
            self.queued.notify_one();
        }
        Ok(pass)
    }

    async fn on_event(&self, ws: WorkspaceId, catalog: &Catalog, e: &StoredEvent) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let Some(name) = e.name.as_deref() else { return Ok(pass) };
        let properties = e.payload.get("properties").cloned().unwrap_or_default();
        feedback::apply(&*self.store, ws, e, name, &properties).await?;
        if catalog.watched.contains(name) {
            pass.closed += self.goals_and_exits(ws, catalog, e, name).await?;
        }
        let Some(triggered) = catalog.by_event.get(name) else { return Ok(pass) };
        let audience = self.engine.latest(ws);
        for &i in triggered {
            let j = &catalog.journeys[i];
            let fits = match &j.definition.trigger {
                Trigger::Event { properties: wanted, .. } => {
                    wanted.iter().all(|(k, v)| properties.get(k).is_some_and(|p| p == v))
                }
                Trigger::LevelChanged { to } => {
                    to.as_deref().is_none_or(|to| properties.get("level").and_then(|l| l.as_str()) == Some(to))
                }
                _ => false,
            };
            if !fits {
                continue;
            }
            let occasion = Occasion::of_event(&properties);
            let key = format!("event:{}", e.message_id);
            let p = self.enter(ws, catalog, audience.as_deref(), j, e.person, key, &occasion, e.timestamp).await?;
            pass.entered += p.entered;
            pass.walked += p.walked;
            pass.queued += p.queued;
            pass.skipped += p.skipped;
        }
        Ok(pass)
    }

    /// Enter a person (if the audience rule and re-entry policy allow) and walk them at once.
    #[allow(clippy::too_many_arguments)]
    async fn enter(
        &self,
        ws: WorkspaceId,
        catalog: &Catalog,
        audience: Option<&crate::Audience>,
        j: &catalog::LiveJourney,
        person: rekindle_core::PersonId,
        trigger_key: String,
        occasion: &Occasion,
        at: DateTime<Utc>,
    ) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        if let Some(rule) = &j.definition.audience {
            let facts = person::PersonFacts { audience, person, catalog };
            if !rekindle_core::journey::Facts::matches(&facts, rule) {
                return Ok(pass);
            }
        }
        let now = self.engine.now();
        let new = NewEnrollment {
            journey: j.id,
            version: j.version,
            person,
            trigger_key,
            reentry: j.definition.reentry,
            context: occasion.to_json(),
            at: at.min(now),
        };
        let Some(enrollment) = self.store.enroll(ws, &new).await? else { return Ok(pass) };
        pass.entered = 1;
        let walker = Walker { store: &*self.store, ws, catalog, audience, caps: &self.caps, now };
        pass.add(walker.walk(&enrollment, occasion).await?);
        Ok(pass)
    }

    /// Close the person's enrollments this event converts or ends.
    async fn goals_and_exits(
        &self,
        ws: WorkspaceId,
        catalog: &Catalog,
        e: &StoredEvent,
        name: &str,
    ) -> rekindle_store::Result<usize> {
        let mut closed = 0;
        for en in self.store.open_enrollments(ws, e.person).await? {
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
        let walker =
            Walker { store: &*self.store, ws, catalog: &catalog, audience: audience.as_deref(), caps: &self.caps, now };
        for e in due.iter().filter(|e| !catalog.paused.contains(&e.journey)) {
            pass.add(walker.walk(e, &Occasion::from_json(&e.context)).await?);
        }
        if pass.queued > 0 {
            self.queued.notify_one();
        }
        Ok(pass)
    }
}
