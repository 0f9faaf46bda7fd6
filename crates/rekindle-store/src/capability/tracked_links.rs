//! Tracked links (docs/journeys.md, "Tracked links"): the short links a send's web addresses
//! became (`rekindle_core::outreach::tracked`), found again by their code when clicked, and
//! the clicks behind a journey's readout.

use chrono::{DateTime, Utc};
use rekindle_core::outreach::ChannelKind;
use rekindle_core::{JourneyId, PersonId, WorkspaceId};
use serde::Serialize;

use crate::Result;

/// One short link: which send's address it stands for, and whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedLink {
    /// Unique across workspaces (the workspace is part of what the code is made from).
    pub code: String,
    /// The outbox send key of the message that carried it.
    pub send_key: String,
    /// Who it was sent to (an id a merge may since have absorbed: follow it with
    /// `People::person`).
    pub person: PersonId,
    pub journey: Option<JourneyId>,
    pub step: Option<String>,
    pub variant: Option<String>,
    pub channel: ChannelKind,
    /// The address it leads to: `http://` or `https://`.
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// A journey's clicks, as a whole (`step: None`) or of one send step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ClickCounts {
    pub step: Option<String>,
    /// People a message went out to (sent or delivered).
    pub reached: i64,
    /// People who clicked at least once (`Message Clicked` naming the journey and step).
    pub clickers: i64,
    /// Every click.
    pub clicks: i64,
}

/// Short links and their clicks.
#[async_trait::async_trait]
pub trait TrackedLinks: Send + Sync {
    /// Keep a send's links, all or none. A link saved again (a retried send) is left as it
    /// is; a code that another link holds is `AlreadyExists`, and nothing is saved.
    async fn save_links(&self, ws: WorkspaceId, links: &[TrackedLink]) -> Result<()>;
    /// The link a code names, and its workspace: codes are looked up without one.
    async fn link_by_code(&self, code: &str) -> Result<Option<(WorkspaceId, TrackedLink)>>;
    /// Clicks on the journey's messages: the journey as a whole first, then each step that
    /// sent or was clicked, by step (bytes). Clicks are the log's `Message Clicked` events
    /// whose `journey_id` names the journey; people are counted as they are now (after merges).
    async fn journey_clicks(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ClickCounts>>;
}
