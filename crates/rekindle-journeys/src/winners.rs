//! Automatic winners (docs/journeys.md, "Automatic winners"): the periodic check that reads a
//! live journey's experiment and records the winner its split settled on, and the walk's view
//! of the decisions, so everyone the split does not hold out takes the winner from then on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rekindle_core::journey::{Action, Definition, Facts, HOLDOUT, WinnerDecision};
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_engine::Engine;
use rekindle_engine::measure::Window;
use rekindle_engine::measure::attribution::{Facts as Rows, attribute};
use rekindle_engine::measure::winner::{Counts, pick};
use rekindle_store::{JourneyStatus, Store};

/// Decisions by journey and split step, as the walk reads them.
pub type Decided = HashMap<(JourneyId, String), String>;

/// The conversion window of the goal a winner is judged on: the journey's goal, else a week.
fn window_days(d: &Definition) -> i64 {
    d.goal.as_ref().map_or(7, |g| i64::from(g.within_days.max(1)))
}

/// Read every live journey whose split picks its winner and has none yet; record each
/// decision the rule makes (`rekindle_engine::measure::winner`). Returns what was recorded.
pub async fn decide_winners(
    store: &dyn Store,
    engine: &Engine,
    ws: WorkspaceId,
) -> rekindle_store::Result<Vec<WinnerDecision>> {
    let decided: Decided =
        store.journey_winners(ws).await?.into_iter().map(|w| ((w.journey, w.step), w.winner)).collect();
    let mut open = Vec::new();
    for j in store.journeys(ws).await? {
        let (Some(version), JourneyStatus::Live) = (j.version, j.status) else { continue };
        let Some(v) = store.journey_version(ws, j.id, version).await? else { continue };
        for step in &v.definition.steps {
            if let Action::Split { variants, auto_winner: Some(auto), .. } = &step.action
                && !decided.contains_key(&(j.id, step.id.clone()))
            {
                let arms: Vec<(String, u8)> = variants.iter().map(|v| (v.name.clone(), v.percent)).collect();
                open.push((j.id, version, step.id.clone(), arms, auto.min_per_variant, window_days(&v.definition)));
            }
        }
    }
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let audience = engine.audience(ws).await?;
    let (cal, now) = (&audience.context.calendar, engine.now());
    let mut out = Vec::new();
    for (journey, version, step, arms, min, days) in open {
        // Every entry since the journey was first published; those whose window has closed count.
        let since = store.journey_versions(ws, journey).await?.last().map_or(now, |v| v.published_at);
        let window = Window { from: cal.day(since), to: cal.day(now) };
        let rows = Rows::load(store, ws, cal, window, days, now).await?;
        let profile = |p| audience.member(p).map(|m| &*m.profile);
        let attribution = attribute(profile, &rows, cal, window, days, now);
        let Some(j) = attribution.journeys.iter().find(|j| j.journey == journey) else { continue };
        let measured: Vec<Counts> = j.arms.iter().filter(|a| a.variant.is_some()).map(Counts::of).collect();
        let Some((winner, evidence)) = pick(&arms, &measured, min, days, &Default::default()) else {
            continue;
        };
        let decision = WinnerDecision { journey, step, winner, version, decided_at: now, evidence };
        if store.record_winner(ws, &decision).await? {
            tracing::info!(workspace = %ws, journey = %journey, step = decision.step, winner = decision.winner, "an experiment picked its winner");
            out.push(decision);
        }
    }
    Ok(out)
}

/// The walk's facts with the decisions: a split that has picked its winner sends everyone
/// it does not hold out there.
pub(crate) struct WithWinners<'a, F: Facts> {
    pub inner: &'a F,
    pub decided: &'a Decided,
    pub journey: JourneyId,
}

impl<F: Facts> Facts for WithWinners<'_, F> {
    fn matches(&self, rule: &str) -> bool {
        self.inner.matches(rule)
    }

    fn date(&self, field: &str) -> Option<DateTime<Utc>> {
        self.inner.date(field)
    }

    fn winner(&self, step: &str) -> Option<&str> {
        self.decided.get(&(self.journey, step.to_owned())).map(String::as_str).filter(|w| *w != HOLDOUT)
    }
}
