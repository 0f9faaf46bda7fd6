//! One engine per deployment: for each workspace, profiles kept up to date from the log,
//! the audience they make as of now, and live segment membership recorded as it changes.
//!
//! `serve` calls [`Engine::refresh`] for every workspace on a timer; reads call
//! [`Engine::audience`], which refreshes when the last audience is older than `max_age`.
//! A refresh folds only what was appended since the last one and judges again only the people
//! whose profile or standing changed or whose answers were due to change with time
//! (`audience/incremental.rs`); the cross-person ranks (tiers, RFM) are computed for everyone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::tail::Tail;
use rekindle_store::{ErasureReport, Horizon, Store, StoreError, Term};

use crate::audience::{Audience, Context, Judging};
use crate::folded::Folded;
use crate::personas;
use crate::phases::Phases;
use crate::scoring::{self, ModelFit};
use crate::tracker::{Found, Recorded, Tracker};

/// The time, injectable so tests can hold it still.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub struct Engine {
    store: Arc<dyn Store>,
    judging: Judging,
    clock: Clock,
    max_age: Duration,
    workspaces: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<State>>>>,
    /// The last audience of each workspace, readable while a refresh runs.
    published: Mutex<HashMap<WorkspaceId, Arc<Audience>>>,
    /// Points and levels as rules read them, kept while no ledger changes.
    points: crate::loyalty::facts::PointsCache,
    /// Invitations resolved to their inviters, kept between refreshes.
    referrals: crate::referral::ReferralCache,
    /// The newest events, read once for every follower of the log.
    log: Arc<Tail>,
    /// Whether this node led each workspace when last asked, and in which term.
    leads: Mutex<HashMap<WorkspaceId, Option<Term>>>,
}

#[derive(Default)]
struct State {
    folded: Folded,
    tracker: Option<Tracker>,
    /// The last audience: when it was built, and from how much of the log.
    latest: Option<(Instant, Horizon, Arc<Audience>)>,
    /// The leadership term `tracker` records under: a tracker of another term (or of none,
    /// while another node led) is loaded again from what the leaders recorded.
    tracker_term: Option<Term>,
    /// The models people are scored with, and when they were last fitted (or tried).
    fit: Option<Arc<ModelFit>>,
    /// When fitting was last tried, and on how much of the log.
    fitted: Option<(Instant, Horizon)>,
    /// The profiles are out on the background thread. A refresh whose caller went away (a
    /// browser that navigated mid-request drops the request) never gets them back: the next
    /// one must fold the log again rather than judge an empty audience.
    lent: bool,
}

/// An audience lent by [`Engine::latest`]. If a refresh replaced it while it was held, the
/// holder would be the one to free it — a million members, a few hundred milliseconds — so
/// that is done on a background thread instead of in the middle of, say, a journey walk.
pub struct Borrowed(Option<Arc<Audience>>);

impl std::ops::Deref for Borrowed {
    type Target = Option<Arc<Audience>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        if let Some(a) = self.0.take()
            && Arc::strong_count(&a) == 1
        {
            crate::background::drop_later(a);
        }
    }
}

/// What the background thread hands back after judging: the profiles and tracker it borrowed,
/// the fit if one was due, the audience and how memberships changed.
struct Judged {
    profiles: HashMap<PersonId, Arc<rekindle_core::profile::Profile>>,
    tracker: Tracker,
    fitted: Option<Result<Arc<ModelFit>, rekindle_models::ModelError>>,
    audience: Arc<Audience>,
    found: Found,
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub folded: usize,
    pub people: usize,
    pub recorded: Recorded,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, judging: Judging, clock: Clock, max_age: Duration) -> Self {
        Self {
            store,
            judging,
            clock,
            max_age,
            workspaces: Mutex::default(),
            published: Mutex::default(),
            points: Default::default(),
            referrals: Default::default(),
            log: Arc::default(),
            leads: Mutex::default(),
        }
    }

    /// Ask the store whether this node leads `ws`, taking the lead if no node has it
    /// (docs/deploy.md, "Several nodes"). What only one node may do for a workspace (record
    /// membership, score, run journeys, award points) is done where this says so.
    pub async fn lead(&self, ws: WorkspaceId) -> rekindle_store::Result<Option<Term>> {
        let term = self.store.lead(ws).await;
        // Unable to ask is not leading: the work waits rather than risk being done twice.
        let held = term.as_ref().ok().copied().flatten();
        self.leads.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, held);
        term
    }

    /// The term this node leads `ws` in, as last asked ([`Engine::lead`]; asked now the first time).
    pub async fn leads(&self, ws: WorkspaceId) -> rekindle_store::Result<Option<Term>> {
        let known = self.leads.lock().unwrap_or_else(|p| p.into_inner()).get(&ws).copied();
        match known {
            Some(term) => Ok(term),
            None => self.lead(ws).await,
        }
    }

    /// The newest events of the log, shared by everything that follows it in this process.
    pub fn log(&self) -> &Arc<Tail> {
        &self.log
    }

    /// The lifecycle thresholds audiences are judged by.
    pub fn lifecycle(&self) -> &rekindle_core::lifecycle::LifecycleConfig {
        &self.judging.lifecycle
    }

    fn state(&self, ws: WorkspaceId) -> Arc<tokio::sync::Mutex<State>> {
        self.workspaces.lock().unwrap_or_else(|p| p.into_inner()).entry(ws).or_default().clone()
    }

    /// The workspace's audience with every event the store has committed: the last one if
    /// nothing was appended since and it is at most `max_age` old, else a fresh one.
    pub async fn audience(&self, ws: WorkspaceId) -> rekindle_store::Result<Arc<Audience>> {
        let state = self.state(ws);
        let mut state = state.lock().await;
        if let Some((at, horizon, audience)) = &state.latest
            && at.elapsed() < self.max_age
            && *horizon == self.store.horizon(ws).await?
        {
            return Ok(audience.clone());
        }
        self.refresh_locked(ws, &mut state).await.map(|(a, _)| a)
    }

    /// The last audience built, without waiting for a refresh in progress (none before the
    /// first): for decisions that must be quick, such as walking a journey.
    pub fn latest(&self, ws: WorkspaceId) -> Borrowed {
        Borrowed(self.published.lock().unwrap_or_else(|p| p.into_inner()).get(&ws).cloned())
    }

    /// The time as the engine sees it.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Forget the last audience: something it was judged by (tags, segments) changed.
    pub async fn invalidate(&self, ws: WorkspaceId) {
        self.state(ws).lock().await.latest = None;
    }

    /// Erase a person from the store (docs/privacy.md) and from what the engine holds: their
    /// profile goes, and the next audience is judged without them. Runs between refreshes, so
    /// no refresh records a change for someone already erased.
    pub async fn erase(&self, ws: WorkspaceId, person: PersonId) -> rekindle_store::Result<ErasureReport> {
        let state = self.state(ws);
        let mut state = state.lock().await;
        let report = self.store.erase_person(ws, person).await?;
        self.log.forget(ws);
        let mut erased = report.merged.clone();
        erased.push(report.person);
        state.folded.forget(&erased);
        // Memberships and stages are read again from the store, where the person no longer is.
        state.tracker = None;
        state.latest = None;
        Ok(report)
    }

    /// [`Engine::refresh`] on a low-priority thread of its own, for the refresh loop: reading
    /// and folding the log takes a core for a second under 10,000 events a second, and must
    /// wait its turn behind the event path (issue 24). Its writes do not run at the lower
    /// priority (rekindle_store::background).
    pub async fn refresh_in_background(self: Arc<Self>, ws: WorkspaceId) -> rekindle_store::Result<Refreshed> {
        match crate::background::run_async(move || async move { self.refresh(ws).await.map(|(_, r)| r) }).await {
            Ok(refreshed) => refreshed,
            Err(e) => Err(StoreError::backend(e)),
        }
    }

    /// Catch up with the log, judge everyone, record membership and stage changes.
    pub async fn refresh(&self, ws: WorkspaceId) -> rekindle_store::Result<(Arc<Audience>, Refreshed)> {
        let state = self.state(ws);
        let mut state = state.lock().await;
        self.refresh_locked(ws, &mut state).await
    }

    async fn refresh_locked(
        &self,
        ws: WorkspaceId,
        state: &mut State,
    ) -> rekindle_store::Result<(Arc<Audience>, Refreshed)> {
        let store = &*self.store;
        let mut phases = Phases::start();
        if std::mem::take(&mut state.lent) {
            tracing::warn!(workspace = %ws, "a refresh was abandoned with the profiles out; folding the log again");
            state.folded = Folded::default();
            state.tracker = None;
        }
        let mut context = Context::load(store, ws, self.judging.clone()).await?;
        (context.points, context.program) = self.points.facts(store, ws, &context, (self.clock)()).await?;
        if state.folded.calendar != context.calendar {
            // The store's time zone changed (or this is the first fold): days are marked anew.
            state.folded = Folded { calendar: context.calendar, ..Folded::default() };
            state.tracker = None;
        }
        phases.mark("loaded");
        let folded = state.folded.catch_up(store, &self.log, ws).await?;
        phases.mark("folded");
        context.referrals = self.referrals.board(store, ws, &state.folded.profiles).await?;
        phases.mark("board");
        // Another node leading records membership and scores; this one judges for its readers.
        let term = self.leads(ws).await?;
        if term != state.tracker_term {
            state.tracker = None;
            state.tracker_term = term;
        }
        if term.is_some() && store.segments(ws).await?.is_empty() {
            // A workspace without any segment starts with the personas.
            for s in personas::defaults((self.clock)()) {
                match store.create_segment(ws, &s).await {
                    Ok(_) | Err(rekindle_store::StoreError::AlreadyExists(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            context.segments = crate::audience::Saved::load(store, ws).await?;
        }
        // One "now" for everything: the clock. A store whose events stopped is judged as it is
        // today (its people drift to 流失), the same way the run-out trigger and journeys see it.
        let now = (self.clock)();
        let refit = Duration::from_secs(self.judging.models.refit_minutes * 60);
        // A follower scores with the leader's fit, so every node shows the same predictions;
        // it fits its own only while the leader has stored none.
        phases.mark("segments");
        let shared = term.is_none() && self.leaders_fit(ws, state).await?;
        phases.mark("fit");
        // Refit when due; until a fit succeeds, whenever the log has moved.
        let due = !shared
            && match state.fitted {
                None => true,
                Some((at, _)) if at.elapsed() >= refit => true,
                Some((_, horizon)) => state.fit.is_none() && horizon != state.folded.horizon,
            };
        if due {
            state.fitted = Some((Instant::now(), state.folded.horizon));
        }
        let tracker = match state.tracker.take() {
            Some(t) => t,
            None => Tracker::load(store, ws).await?,
        };
        phases.mark("prepared");
        // Fitting, judging everyone and comparing memberships take seconds at a million
        // people: all of it on a low-priority background thread, so what must answer quickly
        // (requests, the journey runner) is never queued behind it. The profiles go along and
        // come back.
        let profiles = std::mem::take(&mut state.folded.profiles);
        state.lent = true;
        let nobody = state.folded.nobody.clone();
        let previous_fit = state.fit.clone();
        let judged = crate::background::run(move || {
            let fitted =
                due.then(|| scoring::fit(profiles.values().map(|p| &**p), now, &context.calendar).map(Arc::new));
            context.fit = match &fitted {
                Some(Ok(fit)) => Some(fit.clone()),
                _ => previous_fit,
            };
            let people: Vec<_> = profiles.iter().map(|(p, profile)| (*p, profile.clone())).collect();
            // Built from the audience last recorded: only who changed or is due is judged again.
            let basis = tracker.basis().cloned();
            let audience =
                Arc::new(Audience { unattributed: nobody, ..Audience::next(basis.as_deref(), people, now, context) });
            drop(basis);
            let found = tracker.diff(&audience);
            Judged { profiles, tracker, fitted, audience, found }
        })
        .await;
        let Judged { profiles, tracker, fitted, audience, found } = match judged {
            Ok(j) => j,
            Err(e) => {
                // The profiles went down with the task: fold the log again from the start.
                state.folded = Folded::default();
                state.lent = false;
                return Err(rekindle_store::StoreError::backend(e));
            }
        };
        phases.mark("judged");
        state.folded.profiles = profiles;
        state.lent = false;
        let mut tracker = tracker;
        match fitted {
            Some(Ok(fit)) => {
                state.fit = Some(fit.clone());
                // Each fit's scores are written down by the leader, for tools that read the store,
                // and the fit itself, for the other nodes.
                if term.is_some() {
                    self.superseded(ws, store.put_scores(ws, &audience.stored_scores()).await)?;
                    self.superseded(ws, store.put_fit(ws, &fit.stored()).await)?;
                }
            }
            Some(Err(e)) => tracing::info!(workspace = %ws, error = %e, "predictions not fitted"),
            None => {}
        }
        // Published before the changes are recorded: the journey runner reads those from the
        // store, and judges the people it enters by an audience that already has them.
        let replaced = state.latest.replace((Instant::now(), state.folded.horizon, audience.clone()));
        let published = self.published.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, audience.clone());
        crate::background::drop_later((replaced, published));
        // A tracker that failed to record part of it is dropped: the next refresh reads what
        // the store has and compares everyone with it.
        let recorded = if term.is_some() {
            match self.superseded(ws, tracker.record(store, ws, found).await)? {
                Some(recorded) => recorded,
                None => {
                    return Ok((
                        audience.clone(),
                        Refreshed { folded, people: audience.members.len(), recorded: Recorded::default() },
                    ));
                }
            }
        } else {
            // Not leading: what the leader records is this judgement of the same log, so the
            // next audience is built from this one without writing it down.
            tracker.apply(found);
            Recorded::default()
        };
        state.tracker = Some(tracker);
        phases.mark("recorded");
        tracing::debug!(workspace = %ws, folded, phases = %phases, "refresh phases");
        Ok((audience.clone(), Refreshed { folded, people: audience.members.len(), recorded }))
    }

    /// Take the leader's stored fit when it is newer than the one held; `false` when the
    /// leader has stored none (or one this build cannot read), so this node fits its own.
    async fn leaders_fit(&self, ws: WorkspaceId, state: &mut State) -> rekindle_store::Result<bool> {
        let Some(stored) = self.store.latest_fit(ws).await? else { return Ok(false) };
        if state.fit.as_ref().is_some_and(|f| f.as_of == stored.as_of) {
            return Ok(true);
        }
        match ModelFit::from_stored(stored) {
            Ok(fit) => {
                state.fit = Some(Arc::new(fit));
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(workspace = %ws, error = %e, "the leader's fit cannot be read; fitting here");
                Ok(false)
            }
        }
    }

    /// A write refused because another node leads now is not an error of this refresh: this
    /// node stops leading until it asks again (`None`, with the tracker dropped by the caller).
    fn superseded<T>(&self, ws: WorkspaceId, written: rekindle_store::Result<T>) -> rekindle_store::Result<Option<T>> {
        match written {
            Ok(t) => Ok(Some(t)),
            Err(StoreError::Superseded(what)) => {
                tracing::warn!(workspace = %ws, %what, "another node leads now; this one stops recording");
                self.leads.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, None);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
