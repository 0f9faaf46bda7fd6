//! "Send to the current members now": a journey triggered by entering a segment or a stage
//! catches only people who enter after it is published. On publishing, the operator may also
//! enter the people who are in that segment or stage already, once.

use rekindle_core::journey::{Definition, Trigger};
use rekindle_core::{JourneyId, PersonId, WorkspaceId};

use super::{Entry, Occasion, Pass, Runner};

/// Members read per page from a segment.
const PAGE: u32 = 10_000;

impl Runner {
    /// Who is in the segment or stage the journey is triggered by entering, now; `None` for a
    /// trigger that has no current members (an event, a date).
    pub async fn current_members(
        &self,
        ws: WorkspaceId,
        definition: &Definition,
    ) -> rekindle_store::Result<Option<Vec<PersonId>>> {
        match &definition.trigger {
            Trigger::SegmentEntered { segment } => {
                let mut people = Vec::new();
                let mut after = None;
                loop {
                    let page = self.store.segment_members(ws, *segment, after, PAGE).await?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.person);
                    let full = page.len() as u32 == PAGE;
                    people.extend(page.into_iter().map(|m| m.person));
                    if !full {
                        break;
                    }
                }
                Ok(Some(people))
            }
            Trigger::StageChanged { to } => {
                let audience = self.engine.audience(ws).await?;
                Ok(Some(audience.members.iter().filter(|m| m.stage == *to).map(|m| m.person).collect()))
            }
            _ => Ok(None),
        }
    }

    /// Enter the journey's current members (see [`Runner::current_members`]) into its live
    /// version, once per version: entering them again is a no-op.
    pub async fn enter_current(&self, ws: WorkspaceId, journey: JourneyId) -> rekindle_store::Result<Pass> {
        self.invalidate(ws);
        let catalog = self.catalog(ws).await?;
        let Some(j) = catalog.journeys.iter().find(|j| j.id == journey) else { return Ok(Pass::default()) };
        let Some(people) = self.current_members(ws, &j.definition).await? else { return Ok(Pass::default()) };
        let latest = self.engine.latest(ws);
        let now = self.engine.now();
        let entries: Vec<Entry> = people
            .into_iter()
            .map(|person| Entry {
                journey: j,
                person,
                key: format!("current:{}:v{}:{person}", j.id, j.version),
                occasion: Occasion::default(),
                at: now,
            })
            .collect();
        let mut pass = Pass::default();
        for chunk in super::scheduled::chunked(entries) {
            pass.absorb(self.enter(ws, &catalog, latest.as_deref(), chunk).await?);
        }
        Ok(pass)
    }
}
