//! The global control group at the runner (docs/journeys.md, "Global control group"): a
//! marketing journey takes nobody the store holds out in the current period, whatever
//! triggered it (every trigger enters through `Runner::enter`), and someone drawn into control
//! at a refresh while waiting in one leaves it when the wait ends instead of walking on.
//! Service journeys (`marketing: false`) take everyone.

use chrono::{DateTime, Utc};
use rekindle_core::journey::Definition;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Enrollment, EnrollmentState, Store};

use super::Catalog;

impl Catalog {
    /// Whether the store's control group keeps `person` out of a journey defined so, `now`.
    pub fn holds_out(&self, ws: WorkspaceId, person: PersonId, definition: &Definition, now: DateTime<Utc>) -> bool {
        definition.marketing && self.control.holds_out(ws, person, now.with_timezone(&self.tz).date_naive())
    }
}

/// Of the enrollments due to walk, those the control group now holds out of their (marketing)
/// journey leave it as exited; the rest are returned to walk. Nothing is read or written while
/// the group is off.
pub(crate) async fn release(
    store: &dyn Store,
    ws: WorkspaceId,
    catalog: &Catalog,
    due: Vec<Enrollment>,
    now: DateTime<Utc>,
) -> rekindle_store::Result<Vec<Enrollment>> {
    if !catalog.control.active_on(now.with_timezone(&catalog.tz).date_naive()) {
        return Ok(due);
    }
    let mut walk = Vec::with_capacity(due.len());
    for e in due {
        let definition = catalog.version(store, ws, e.journey, e.version).await?;
        if definition.is_some_and(|d| catalog.holds_out(ws, e.person, &d, now)) {
            store.close_enrollment(ws, e.id, EnrollmentState::Exited, now).await?;
        } else {
            walk.push(e);
        }
    }
    Ok(walk)
}
