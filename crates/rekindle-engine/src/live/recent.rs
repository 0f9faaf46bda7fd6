//! The rooms of the sessions of the last day, for journeys that start on what happens in a
//! room (`rekindle_core::live::moments`).

use chrono::Duration;
use rekindle_core::WorkspaceId;
use rekindle_core::live::Room;
use rekindle_core::objects::LiveSession;

use super::{LiveRooms, history};

/// Sessions that started longer ago than this are not looked at: like an event, a room's
/// moment that old starts nothing.
pub(super) const RECENT: Duration = Duration::hours(24);

impl LiveRooms {
    /// Call `look` with each session that started in the last day and its room, brought up to
    /// the end of the log (a room not followed yet is rebuilt from it, then followed).
    pub async fn recent<R>(
        &self,
        ws: WorkspaceId,
        look: impl FnOnce(&[(&LiveSession, &Room)]) -> R,
    ) -> rekindle_store::Result<R> {
        let rooms = self.rooms(ws);
        let mut rooms = rooms.lock().await;
        self.follow_locked(ws, &mut rooms).await?;
        let now = self.engine.now();
        let sessions = self.sessions(ws, &mut rooms, false).await?;
        let recent: Vec<&LiveSession> = sessions
            .iter()
            .filter(|s| {
                let origin = history::origin(s);
                origin <= now && now - origin < RECENT
            })
            .collect();
        let upto = rooms.cursor.unwrap_or(0);
        for s in &recent {
            if !rooms.open.contains_key(&s.id) {
                let room = history::room(&*self.store, ws, s, now, upto).await?;
                rooms.open.insert(s.id.clone(), room);
            }
        }
        let pairs: Vec<(&LiveSession, &Room)> =
            recent.into_iter().filter_map(|s| Some((s, rooms.open.get(&s.id)?))).collect();
        Ok(look(&pairs))
    }
}
