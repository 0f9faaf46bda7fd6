//! Profiles kept up to date incrementally: each catch-up folds the events and merges
//! appended since the last one, up to the store's horizon (everything below it is committed).
//!
//! Correct whatever the order of arrival: the fold does not depend on event order, so a late
//! event is folded whenever it is appended; an event re-pointed by a merge is folded into
//! the survivor, and the merge moves what was folded into the absorbed person across.

use std::collections::HashMap;
use std::sync::Arc;

use rekindle_core::calendar::Calendar;
use rekindle_core::message::TraitsUpdate;
use rekindle_core::money::Amounts;
use rekindle_core::profile::{Profile, ProfileEvent};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::tail::Tail;
use rekindle_store::{Horizon, Store, StoredEvent};

/// Events read per query while catching up.
const PAGE: u32 = 5_000;

#[derive(Default)]
pub struct Folded {
    pub horizon: Horizon,
    /// Shared with published audiences; a fold copies a profile only while one holds it.
    pub profiles: HashMap<PersonId, Arc<Profile>>,
    /// Erased people's kept orders, nobody's: counted in the store's figures, never a person.
    pub nobody: Arc<Profile>,
    /// The calendar days were marked in; a fold under another one starts again.
    pub calendar: Calendar,
}

impl Folded {
    /// Fold what was appended since the last catch-up. Returns how many events were folded.
    pub async fn catch_up(&mut self, store: &dyn Store, log: &Tail, ws: WorkspaceId) -> rekindle_store::Result<usize> {
        let target = store.horizon(ws).await?;
        let mut folded = 0;
        let mut after = self.horizon.event;
        let mut reading = std::time::Duration::ZERO;
        while after < target.event {
            let t = std::time::Instant::now();
            let page = log.between(store, ws, after, target.event, PAGE).await?;
            reading += t.elapsed();
            let Some(last) = page.last() else { break };
            after = last.id;
            folded += page.len();
            for e in &page {
                self.fold(e);
            }
        }
        for m in store.merges_between(ws, self.horizon.merge, target.merge).await? {
            if let Some(absorbed) = self.profiles.remove(&m.from) {
                Arc::make_mut(self.profiles.entry(m.into).or_default()).merge(&absorbed);
            }
        }
        self.horizon = target;
        tracing::debug!(folded, reading_ms = reading.as_millis() as u64, "caught up");
        Ok(folded)
    }

    pub fn fold(&mut self, e: &StoredEvent) {
        // An erased person's kept orders are nobody's: they count in the store's totals, not
        // as a person (docs/privacy.md).
        if e.person != PersonId::ERASED {
            fold_into(Arc::make_mut(self.profiles.entry(e.person).or_default()), e, &self.calendar);
        } else {
            Arc::make_mut(&mut self.nobody).apply(profile_event(e));
        }
    }

    /// Drop what was folded for these people: they were erased.
    /// Their orders and refunds stay, as nobody's: erasure keeps them in the log, anonymous
    /// (docs/privacy.md), and the store's figures count them.
    pub fn forget(&mut self, people: &[PersonId]) {
        for p in people {
            if let Some(gone) = self.profiles.remove(p) {
                Arc::make_mut(&mut self.nobody).merge(&gone.purchases());
            }
        }
    }
}

/// Fold one event into a profile, marking its local day active.
pub fn fold_into(p: &mut Profile, e: &StoredEvent, cal: &Calendar) {
    p.apply(profile_event(e));
    p.active_on(cal.day_number(e.timestamp) as i32);
}

/// A stored event as the profile reads it: a track's name and properties, or a call's type
/// (`identify`, `page`…) and, for an identify, its traits.
pub fn profile_event(e: &StoredEvent) -> ProfileEvent<'_> {
    let fields = if e.name.is_some() { "properties" } else { "traits" };
    // Traits that are unset, appended or added to are not values of their own.
    let values = e.name.is_some()
        || matches!(
            e.payload.as_object().map(TraitsUpdate::read),
            None | Some(Ok(TraitsUpdate::Set | TraitsUpdate::SetOnce))
        );
    ProfileEvent {
        at: e.timestamp,
        name: e.name.as_deref().unwrap_or(e.kind.as_str()),
        properties: e.payload.get(fields).filter(|_| values).unwrap_or(&serde_json::Value::Null),
        amounts: Amounts::of(&e.payload),
    }
}
