//! Journeys that start on what happens in a live room (docs/live.md, "Moments"): a viewer who
//! left soon after arriving, one who watched long and bought nothing, a question nobody
//! answered. The rooms are the engine's ([`LiveRooms`]), read off the log like everything
//! else; each moment's key names it, so looking again enters nobody twice.

use std::sync::Arc;

use chrono::Duration;
use rekindle_core::WorkspaceId;
use rekindle_core::journey::Trigger;
use rekindle_core::live::moments::{self, Moment};
use rekindle_engine::live::{LiveRooms, history};

use super::scheduled::chunked;
use super::{Entry, Occasion, Pass, Runner};

/// The room moment a trigger waits for, if it waits for one.
fn moment(trigger: &Trigger) -> Option<Moment> {
    Some(match trigger {
        Trigger::LiveLeft { within_minutes } => Moment::Left { within: Duration::minutes(i64::from(*within_minutes)) },
        Trigger::LiveNoOrder { watched_minutes } => {
            Moment::NoOrder { watched: Duration::minutes(i64::from(*watched_minutes)) }
        }
        Trigger::LiveUnanswered { seconds } => Moment::Unanswered { after: Duration::seconds(i64::from(*seconds)) },
        _ => return None,
    })
}

impl Runner {
    /// Let journeys start on moments in live rooms, read from these rooms.
    pub fn with_live(mut self, rooms: Arc<LiveRooms>) -> Self {
        self.live = Some(rooms);
        self
    }

    /// Enter people into the journeys waiting for a room moment that has come.
    pub async fn live(&self, ws: WorkspaceId) -> rekindle_store::Result<Pass> {
        let mut pass = Pass::default();
        let Some(rooms) = &self.live else { return Ok(pass) };
        let catalog = self.catalog(ws).await?;
        let waiting: Vec<(usize, Moment)> = catalog
            .journeys
            .iter()
            .enumerate()
            .filter_map(|(i, j)| Some((i, moment(&j.definition.trigger)?)))
            .collect();
        if waiting.is_empty() {
            return Ok(pass);
        }
        let now = self.engine.now();
        let calendar = self.engine.latest(ws).as_ref().map(|a| a.context.calendar).unwrap_or_default();
        let due = rooms
            .recent(ws, |recent| {
                let mut due = Vec::new();
                for (session, room) in recent {
                    let over = moments::over(session.ended_at, room, now);
                    let occasion = Occasion {
                        session_title: Some(session.title.clone()),
                        session_time: Some(calendar.local(history::origin(session)).format("%H:%M").to_string()),
                        ..Occasion::default()
                    };
                    for &(i, m) in &waiting {
                        let j = &catalog.journeys[i];
                        for d in moments::due(room, &session.id, over, now, m) {
                            // A moment before the journey was published does not start it.
                            if d.at >= j.published_at && !self.looked(j.id, j.version, &d.key) {
                                due.push((i, d, occasion.clone()));
                            }
                        }
                    }
                }
                due
            })
            .await?;
        let seen: Vec<(usize, String)> = due.iter().map(|(i, d, _)| (*i, d.key.clone())).collect();
        let entries = due
            .into_iter()
            .map(|(i, d, occasion)| Entry {
                journey: &catalog.journeys[i],
                person: d.person,
                key: d.key,
                occasion,
                at: d.at,
            })
            .collect::<Vec<_>>();
        let audience = self.engine.latest(ws);
        for chunk in chunked(entries) {
            let p = self.enter(ws, &catalog, audience.as_deref(), chunk).await?;
            pass.absorb(p);
        }
        // Marked once entered: after a failure the moments are looked at again.
        for (i, key) in seen {
            let j = &catalog.journeys[i];
            self.first_look(j.id, j.version, &key);
        }
        Ok(pass)
    }
}
