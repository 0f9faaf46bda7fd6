//! Saved segments with their versions and live membership, tags on people, and the changes
//! the engine records as membership and lifecycle stages move (docs/segments.md).

use chrono::{DateTime, Utc};
use rekindle_core::lifecycle::Stage;
use rekindle_core::{PersonId, SegmentId};
use serde::Serialize;

/// Segments an operator wrote, and the persona segments Rekindle ships (editable like any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SegmentKind {
    Custom,
    Persona,
}

impl SegmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Custom => "custom",
            Self::Persona => "persona",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "custom" => Some(Self::Custom),
            "persona" => Some(Self::Persona),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: SegmentId,
    pub name: String,
    pub description: String,
    /// The current version's rule.
    pub rule: String,
    pub kind: SegmentKind,
    /// 1 when created; each change of rule adds one.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSegment {
    pub name: String,
    pub description: String,
    pub rule: String,
    pub kind: SegmentKind,
    /// Who wrote it (an operator's email), if anyone did.
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// What to change in a segment; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    /// A rule different from the current one adds a version.
    pub rule: Option<String>,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentVersion {
    pub version: i32,
    pub rule: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// A person in a segment, since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentMember {
    pub person: PersonId,
    pub since: DateTime<Utc>,
}

/// A person entering or leaving a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipChange {
    pub segment: SegmentId,
    pub person: PersonId,
    pub entered: bool,
    pub at: DateTime<Utc>,
}

/// A segment's size when membership was last brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSize {
    pub segment: SegmentId,
    pub size: u64,
    pub at: DateTime<Utc>,
}

/// A person's lifecycle stage moving; `from` is `None` the first time they are staged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageChange {
    pub person: PersonId,
    pub from: Option<Stage>,
    pub to: Stage,
    pub at: DateTime<Utc>,
}

/// A tag operators put on people by hand, or one a rule decides (`rule` set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub rule: Option<String>,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

/// A manual tag on a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonTag {
    pub person: PersonId,
    pub tag: String,
    pub at: DateTime<Utc>,
}

/// How far the log reaches with nothing still being written below it: every event and merge
/// with an id up to these is committed, and later ones get higher ids. Incremental readers
/// read up to a horizon and start there next time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Horizon {
    pub event: i64,
    pub merge: i64,
}

/// The models a workspace's leader fitted last, shared so every node scores with the same
/// parameters (docs/deploy.md, "Several nodes").
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFit {
    pub as_of: DateTime<Utc>,
    /// The engine's `ModelFit` as JSON.
    pub fit: serde_json::Value,
}

/// A person's predictions as last written, with the moment they describe.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScores {
    pub person: PersonId,
    pub as_of: DateTime<Utc>,
    /// `rekindle_core::scores::Scores` as JSON.
    pub scores: serde_json::Value,
}
