//! What a workspace's journeys need at hand: the live journeys by trigger, the versions people
//! are walking, templates, coupons and parsed rules. Reloaded when the operator changes any of
//! them (the API calls [`super::Runner::invalidate`]) and every minute.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono_tz::Tz;
use rekindle_core::events;
use rekindle_core::journey::{Definition, Trigger};
use rekindle_core::outreach::{CouponDefinition, MessageTemplate};
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_rules::{Rule, parse};
use rekindle_store::{JourneyStatus, Store};

pub struct LiveJourney {
    pub id: JourneyId,
    pub name: String,
    pub version: i32,
    pub definition: Arc<Definition>,
    /// Events stored before this do not trigger it: publishing a journey does not replay
    /// the past at people.
    pub published_at: chrono::DateTime<chrono::Utc>,
}

pub struct Catalog {
    pub tz: Tz,
    pub loaded: Instant,
    pub journeys: Vec<LiveJourney>,
    /// Indexes into `journeys`, by the event that triggers them.
    pub by_event: HashMap<String, Vec<usize>>,
    /// Events some live journey's goal or exit listens for.
    pub watched: HashSet<String>,
    pub templates: HashMap<String, MessageTemplate>,
    pub coupons: HashMap<String, CouponDefinition>,
    /// Journeys not live (paused, archived) do not move people on.
    pub paused: HashSet<JourneyId>,
    /// The store's global control group, kept out of marketing journeys (control.rs).
    pub control: rekindle_core::programme::ControlGroup,
    /// Automatic winners decided, by journey and split step (winners.rs).
    pub winners: super::winners::Decided,
    /// Versions people entered, by (journey, version); filled as needed.
    versions: Mutex<HashMap<(JourneyId, i32), Arc<Definition>>>,
    rules: Mutex<HashMap<String, Option<Arc<Rule>>>>,
}

impl Catalog {
    pub async fn load(store: &dyn Store, ws: WorkspaceId) -> rekindle_store::Result<Self> {
        let workspace = store.workspaces().await?.into_iter().find(|w| w.id == ws);
        let tz = workspace.and_then(|w| w.time_zone.parse().ok()).unwrap_or(chrono_tz::Asia::Shanghai);
        let mut journeys = Vec::new();
        let mut paused = HashSet::new();
        let mut versions = HashMap::new();
        for j in store.journeys(ws).await? {
            let Some(version) = j.version else { continue };
            if j.status != JourneyStatus::Live {
                paused.insert(j.id);
                continue;
            }
            let Some(v) = store.journey_version(ws, j.id, version).await? else { continue };
            let definition = Arc::new(v.definition);
            versions.insert((j.id, version), definition.clone());
            journeys.push(LiveJourney { id: j.id, name: j.name, version, definition, published_at: v.published_at });
        }
        let mut by_event: HashMap<String, Vec<usize>> = HashMap::new();
        let mut watched = HashSet::new();
        for (i, j) in journeys.iter().enumerate() {
            match &j.definition.trigger {
                Trigger::Event { event, .. } => by_event.entry(event.clone()).or_default().push(i),
                Trigger::LevelChanged { .. } => by_event.entry(events::LEVEL_CHANGED.to_owned()).or_default().push(i),
                _ => {}
            }
            watched.extend(j.definition.watched_events().map(str::to_owned));
        }
        let templates = store.message_templates(ws).await?.into_iter().map(|t| (t.name.clone(), t)).collect();
        let coupons = store.coupons(ws).await?.into_iter().map(|c| (c.name.clone(), c)).collect();
        let control = store.control_group(ws).await?;
        let winners = store.journey_winners(ws).await?.into_iter().map(|w| ((w.journey, w.step), w.winner)).collect();
        Ok(Self {
            tz,
            loaded: Instant::now(),
            journeys,
            by_event,
            watched,
            templates,
            coupons,
            paused,
            control,
            winners,
            versions: Mutex::new(versions),
            rules: Mutex::default(),
        })
    }

    /// The definition of a version people are walking (older ones are read once, then kept).
    pub async fn version(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
        journey: JourneyId,
        version: i32,
    ) -> rekindle_store::Result<Option<Arc<Definition>>> {
        if let Some(d) = self.versions.lock().unwrap_or_else(|p| p.into_inner()).get(&(journey, version)) {
            return Ok(Some(d.clone()));
        }
        let Some(v) = store.journey_version(ws, journey, version).await? else { return Ok(None) };
        let d = Arc::new(v.definition);
        self.versions.lock().unwrap_or_else(|p| p.into_inner()).insert((journey, version), d.clone());
        Ok(Some(d))
    }

    /// What a journey's rules (only `only`, when given) ask of the person's history: the
    /// events its `did` terms name, and whether a `reachable` term needs their record.
    pub fn asked(&self, d: &Definition, only: Option<&str>) -> super::person::Asked {
        let mut asked = super::person::Asked::default();
        for (_, text) in d.rules().into_iter().filter(|(_, t)| only.is_none_or(|o| o == *t)) {
            if let Some(rule) = self.rule(text) {
                let mut names = Vec::new();
                rule.history_events(&mut names);
                asked.events.extend(names.into_iter().map(str::to_owned));
                asked.reach |= rule.uses_reach();
            }
        }
        asked.events.sort();
        asked.events.dedup();
        asked
    }

    /// A rule, parsed once. Rules were checked when published, so one that fails now (a later
    /// build reading an old rule) matches no one, with a warning.
    pub fn rule(&self, text: &str) -> Option<Arc<Rule>> {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules
            .entry(text.to_owned())
            .or_insert_with(|| match parse(text) {
                Ok(r) => Some(Arc::new(r)),
                Err(e) => {
                    tracing::warn!(rule = text, error = %e, "a journey rule does not parse; it matches no one");
                    None
                }
            })
            .clone()
    }
}
