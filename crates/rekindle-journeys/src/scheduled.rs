//! Triggers that are not events: segment entries and exits, stage changes (both recorded by the
//! engine's refresh, read back from the store), and dated triggers (schedules, predicted run-outs, live sessions),
//! which look over the whole audience.
//!
//! A dated trigger fires once per occurrence: the trigger key names the occurrence and the
//! person, so looking again (after a restart, or on the next pass) enters nobody twice.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, Utc};
use rekindle_core::journey::Trigger;
use rekindle_core::outreach::{LocalTime, local_day, next_local};
use rekindle_core::{JourneyId, WorkspaceId};
use rekindle_store::ChangeCursors;

use super::catalog::{Catalog, LiveJourney};
use super::{Entry, Occasion, Pass, Runner};
use rekindle_engine::Audience;

/// Recorded changes read per page.
const CHANGES_PAGE: u32 = 1000;
/// How often a dated trigger looks over the audience.
const LOOK_EVERY_MINUTES: i64 = 10;

impl Runner {
    /// Enter people whose segment membership or stage changed into the journeys that wait for
    /// it. The changes are read from the store after the runner's cursors, so a crash or
    /// restart between the engine recording a change and the runner acting on it loses
    /// nothing; acting twice enters nobody twice (the trigger key names the change).
    pub async fn changes(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let start = self.change_cursors(ws).await?;
        let mut cursors = start;
        loop {
            let membership = self.store.membership_changes_after(ws, cursors.membership, CHANGES_PAGE).await?;
            let stages = self.store.stage_changes_after(ws, cursors.stages, CHANGES_PAGE).await?;
            if membership.is_empty() && stages.is_empty() {
                break;
            }
            let catalog = self.catalog(ws).await?;
            let audience = self.engine.latest(ws);
            // A change dated before a journey was published does not trigger it (a segment
            // change is dated by the refresh that found it, a stage change by when it began).
            for j in &catalog.journeys {
                let entries: Vec<(rekindle_core::PersonId, String, DateTime<Utc>)> = match &j.definition.trigger {
                    Trigger::SegmentEntered { segment } | Trigger::SegmentLeft { segment } => {
                        let entering = matches!(j.definition.trigger, Trigger::SegmentEntered { .. });
                        membership
                            .iter()
                            .map(|(_, c)| c)
                            .filter(|c| c.segment == *segment && c.entered == entering && c.at >= j.published_at)
                            .map(|c| {
                                let key =
                                    format!("segment:{segment}:{}:{}:{}", c.entered, c.person, c.at.timestamp_millis());
                                (c.person, key, c.at)
                            })
                            .collect()
                    }
                    Trigger::StageChanged { to } => stages
                        .iter()
                        .map(|(_, c)| c)
                        .filter(|c| c.to == *to && c.at >= j.published_at)
                        .map(|c| {
                            (c.person, format!("stage:{}:{}:{}", to.as_str(), c.person, c.at.timestamp_millis()), c.at)
                        })
                        .collect(),
                    _ => continue,
                };
                let entries = entries
                    .into_iter()
                    .map(|(person, key, at)| Entry { journey: j, person, key, occasion: Occasion::default(), at })
                    .collect::<Vec<_>>();
                for chunk in chunked(entries) {
                    let p = self.enter(ws, &catalog, audience.as_deref(), chunk).await?;
                    pass.absorb(p);
                }
            }
            cursors.membership = membership.last().map_or(cursors.membership, |(id, _)| *id);
            cursors.stages = stages.last().map_or(cursors.stages, |(id, _)| *id);
            self.change_cursors.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, cursors);
        }
        // Written down once per pass: after a crash the pass is read again, which enters
        // nobody twice.
        if cursors != start {
            self.store.set_change_cursors(ws, cursors).await?;
        }
        Ok(pass)
    }

    /// Where this runner is in the recorded changes: in memory once known; at first, what the
    /// store has written down, which is written at once when it was only the present (so
    /// changes recorded from now on are all acted on, whenever the next look comes).
    async fn change_cursors(&self, ws: WorkspaceId) -> rekindle_store::Result<ChangeCursors> {
        if let Some(c) = self.change_cursors.lock().unwrap_or_else(|p| p.into_inner()).get(&ws) {
            return Ok(*c);
        }
        let cursors = self.store.change_cursors(ws).await?;
        self.store.set_change_cursors(ws, cursors).await?;
        self.change_cursors.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, cursors);
        Ok(cursors)
    }

    /// Dated triggers due now.
    pub async fn dated(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let catalog = self.catalog(ws).await?;
        let dated: Vec<&LiveJourney> = catalog
            .journeys
            .iter()
            .filter(|j| {
                matches!(
                    j.definition.trigger,
                    Trigger::Schedule { .. }
                        | Trigger::Depletion { .. }
                        | Trigger::Birthday { .. }
                        | Trigger::LiveSession { .. }
                )
            })
            .collect();
        if dated.is_empty() {
            return Ok(pass);
        }
        let latest = self.engine.latest(ws);
        let Some(audience) = latest.as_deref() else { return Ok(pass) };
        let now = self.engine.now();
        let sessions = if dated.iter().any(|j| matches!(j.definition.trigger, Trigger::LiveSession { .. })) {
            self.store.live_sessions(ws).await?
        } else {
            vec![]
        };
        for j in dated {
            let Some(look) = occurrence(&j.definition.trigger, now, &catalog) else { continue };
            if !self.first_look(j.id, j.version, &look) {
                continue;
            }
            let entries = candidates(&j.definition.trigger, audience, &sessions, now, &look, &catalog)
                .into_iter()
                .map(|(person, key, occasion)| Entry { journey: j, person, key, occasion, at: now })
                .collect::<Vec<_>>();
            for chunk in chunked(entries) {
                let p = self.enter(ws, &catalog, Some(audience), chunk).await?;
                pass.absorb(p);
            }
        }
        Ok(pass)
    }

    /// Whether this (journey, occurrence) was looked at by this process.
    pub(crate) fn looked(&self, journey: JourneyId, version: i32, look: &str) -> bool {
        let looked = self.looked.lock().unwrap_or_else(|p| p.into_inner());
        looked.contains(&(journey, version, look.to_owned()))
    }

    /// Whether this (journey, occurrence) was not looked at yet by this process.
    pub(crate) fn first_look(&self, journey: JourneyId, version: i32, look: &str) -> bool {
        let mut looked = self.looked.lock().unwrap_or_else(|p| p.into_inner());
        looked.insert((journey, version, look.to_owned()))
    }
}

/// Entries in groups of a transaction's worth: small enough that an event's own transactions
/// never wait long behind a mass entry on SQLite's one writer.
pub(crate) fn chunked(entries: Vec<Entry<'_>>) -> Vec<Vec<Entry<'_>>> {
    const CHUNK: usize = 100;
    let mut rest = entries.into_iter();
    std::iter::from_fn(|| Some(rest.by_ref().take(CHUNK).collect::<Vec<_>>()).filter(|c| !c.is_empty())).collect()
}

/// Which occurrence of a dated trigger is due at `now`, if any: a name for it.
fn occurrence(trigger: &Trigger, now: DateTime<Utc>, catalog: &Catalog) -> Option<String> {
    match trigger {
        Trigger::Schedule { once_at: Some(at), .. } => (now >= *at).then(|| format!("once:{}", at.timestamp())),
        Trigger::Schedule { daily_at: Some(at), weekdays, .. } => {
            let today = local_day(now, catalog.tz);
            let weekday = today.weekday().number_from_monday() as u8;
            if !weekdays.is_empty() && !weekdays.contains(&weekday) {
                return None;
            }
            passed_today(now, *at, catalog).then(|| format!("daily:{today}"))
        }
        // Once a day at `at`: whoever's birthday is `days_before` days from today.
        Trigger::Birthday { at, .. } => {
            passed_today(now, *at, catalog).then(|| format!("birthday:{}", local_day(now, catalog.tz)))
        }
        Trigger::Depletion { .. } | Trigger::LiveSession { .. } => {
            Some(format!("look:{}", now.timestamp() / (LOOK_EVERY_MINUTES * 60)))
        }
        _ => None,
    }
}

/// Whether today's `at` (in the store's zone) has come: it has when the next one is tomorrow.
fn passed_today(now: DateTime<Utc>, at: LocalTime, catalog: &Catalog) -> bool {
    let today = local_day(now, catalog.tz);
    let next = next_local(now - Duration::seconds(1), at, catalog.tz);
    local_day(next, catalog.tz) > today || next <= now
}

fn candidates(
    trigger: &Trigger,
    audience: &Audience,
    sessions: &[rekindle_core::objects::LiveSession],
    now: DateTime<Utc>,
    look: &str,
    catalog: &Catalog,
) -> Vec<(rekindle_core::PersonId, String, Occasion)> {
    let mut out = Vec::new();
    match trigger {
        Trigger::Schedule { .. } => {
            for m in &audience.members {
                out.push((m.person, format!("{look}:{}", m.person), Occasion::default()));
            }
        }
        Trigger::Depletion { days_before, category } => {
            let until = now + Duration::days(i64::from(*days_before));
            for m in &audience.members {
                let Some(scores) = &m.scores else { continue };
                for r in &scores.run_outs {
                    if category.as_deref().is_some_and(|c| c != r.category) || r.at <= now || r.at > until {
                        continue;
                    }
                    let day = local_day(r.at, catalog.tz);
                    let occasion = Occasion {
                        category: Some(r.category.clone()),
                        days_left: Some((r.at - now).num_days()),
                        ..Occasion::default()
                    };
                    out.push((m.person, format!("depletion:{}:{day}:{}", r.category, m.person), occasion));
                }
            }
        }
        Trigger::Birthday { days_before, .. } => {
            let day = local_day(now, catalog.tz) + Duration::days(i64::from(*days_before));
            let occasion = Occasion { days_left: Some(i64::from(*days_before)), ..Occasion::default() };
            for m in &audience.members {
                if m.profile.birthday().is_some_and(|(_, b)| b.falls_on(day)) {
                    out.push((m.person, format!("birthday:{day}:{}", m.person), occasion.clone()));
                }
            }
        }
        Trigger::LiveSession { hours_before } => {
            for s in sessions {
                let opens = s.scheduled_start - Duration::hours(i64::from(*hours_before));
                if now < opens || now >= s.scheduled_start {
                    continue;
                }
                let topics: HashSet<&str> = s.topics.iter().map(String::as_str).collect();
                let start = s.scheduled_start.with_timezone(&catalog.tz);
                let occasion = Occasion {
                    session_title: Some(s.title.clone()),
                    session_time: Some(start.format("%H:%M").to_string()),
                    ..Occasion::default()
                };
                for m in &audience.members {
                    // Interest in the session's topic: they bought one of its categories.
                    let interested = topics.is_empty() || topics.iter().any(|t| m.profile.bought_category(t));
                    if interested {
                        out.push((m.person, format!("live:{}:{}", s.id, m.person), occasion.clone()));
                    }
                }
            }
        }
        _ => {}
    }
    out
}
