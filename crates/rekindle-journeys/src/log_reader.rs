//! The runner reading the log: each page of new events, in order, into the enrollments,
//! walks and delivery marks they cause.
//!
//! The entries and delivery marks a page's events ask for are held and written together (one
//! mark, one enroll and one walk transaction for many events, not up to three per event),
//! as `rekindle_core::held` explains: under a busy store's ingestion every write waits its
//! turn for SQLite's one writer, and a runner that wrote per event fell further behind the
//! log every second.

use std::sync::Arc;

use chrono::Duration;
use rekindle_core::held::Held;
use rekindle_core::journey::Trigger;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Enrollment, EnrollmentState, StoredEvent};

use super::feedback::{self, Delivered};
use super::walker::{Walker, Walking};
use super::{Catalog, Entry, Occasion, Pass, Runner};

/// Events read from the log per page.
const PAGE: u32 = 2000;
/// Held writes made at once, at most: a transaction's worth, so the writer is not held long
/// (one order enters the bench's thirty journeys; ten orders are one write).
const WRITES_AT_ONCE: usize = 300;
/// How often the log cursor is written down.
const CURSOR_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// An event older than this (by its own timestamp) when it arrives triggers nothing: a
/// backfill of last year's orders must not ask anyone how their delivery went.
const MAX_TRIGGER_AGE: Duration = Duration::hours(24);

/// A write a page's event asked for, held to be made with the others (see the module's note).
enum Write<'c> {
    Delivered(Delivered),
    Enter(Box<Entry<'c>>),
}

impl Runner {
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
            let page = self.engine.log().between(store, ws, cursor, horizon, PAGE).await?;
            let Some(last) = page.last().map(|e| e.id) else { break };
            let catalog = self.catalog(ws).await?;
            pass.absorb(self.page(ws, &catalog, &page).await?);
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

    /// One page of the log, its writes held and made together (see the module's note).
    async fn page(
        &self,
        ws: WorkspaceId,
        catalog: &Catalog,
        page: &[Arc<StoredEvent>],
    ) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let mut held = Held::new(WRITES_AT_ONCE);
        // When the events whose entries are held arrived (for the runner's metrics).
        let mut arrivals = Vec::new();
        // The page was read at once: one reading of the clock says when.
        let read = self.engine.now();
        for e in page {
            if held.must_write_before(e.person) {
                pass.absorb(self.write_held(ws, catalog, held.take()).await?);
                self.metrics.entered(&std::mem::take(&mut arrivals), self.engine.now());
            }
            let (p, triggered) = self.on_event(ws, catalog, e, &mut held).await?;
            pass.absorb(p);
            if triggered {
                self.metrics.read(e.received_at, read);
                arrivals.push(e.received_at);
            }
        }
        pass.absorb(self.write_held(ws, catalog, held.take()).await?);
        self.metrics.entered(&arrivals, self.engine.now());
        Ok(pass)
    }

    /// The deliveries marked first, as each event's own came before what it triggered.
    async fn write_held(
        &self,
        ws: WorkspaceId,
        catalog: &Catalog,
        held: Vec<(PersonId, Write<'_>)>,
    ) -> rekindle_store::Result<Pass> {
        let (mut delivered, mut entries) = (Vec::new(), Vec::new());
        for (_, w) in held {
            match w {
                Write::Delivered(d) => delivered.push(d),
                Write::Enter(e) => entries.push(*e),
            }
        }
        if !delivered.is_empty() {
            self.store.mark_all_delivered(ws, &delivered).await?;
        }
        if entries.is_empty() {
            return Ok(Pass::default());
        }
        let audience = self.engine.latest(ws);
        self.enter(ws, catalog, audience.as_deref(), entries).await
    }

    /// What one event does at once (delivery feedback, paths, goals and exits); the entries
    /// it triggers are added to `held`, and it says whether there were any.
    async fn on_event<'c>(
        &self,
        ws: WorkspaceId,
        catalog: &'c Catalog,
        e: &StoredEvent,
        held: &mut Held<Write<'c>>,
    ) -> rekindle_store::Result<(Pass, bool)> {
        let mut pass = Pass::default();
        let Some(name) = e.name.as_deref() else { return Ok((pass, false)) };
        let properties = e.properties();
        if let Some(d) = feedback::apply(&*self.store, ws, e, name, properties).await? {
            held.add(e.person, Write::Delivered(d));
        }
        if catalog.watched.contains(name) {
            let open = self.store.open_enrollments(ws, e.person).await?;
            let taken = self.paths(ws, catalog, e, name, &open).await?;
            pass.absorb(taken);
            pass.closed += self.goals_and_exits(ws, catalog, e, name, open).await?;
        }
        let Some(triggered) = catalog.by_event.get(name) else { return Ok((pass, false)) };
        if e.received_at - e.timestamp > MAX_TRIGGER_AGE {
            return Ok((pass, false));
        }
        let mut entered = false;
        let occasion = Occasion::of_event(properties);
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
                let key = format!("event:{}", e.message_id);
                let entry = Entry { journey: j, person: e.person, key, occasion: occasion.clone(), at: e.timestamp };
                held.add(e.person, Write::Enter(Box::new(entry)));
                entered = true;
            }
        }
        Ok((pass, entered))
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
}
