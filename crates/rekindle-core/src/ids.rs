use std::fmt;
use std::str::FromStr;
pub use uuid::Uuid;

/// A store (店铺). Every record belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct WorkspaceId(pub i64);

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One person after identity resolution. UUIDv7, so ids sort by creation time and can be made
/// without a round trip to the database (the OneID planner creates people in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub uuid::Uuid);

impl PersonId {
    /// Whom an erased person's kept orders belong to: nobody. One anonymous id for every
    /// erasure in a workspace, so the kept orders count in the store's totals and cannot be
    /// told apart by person (docs/privacy.md). No person row ever has it.
    pub const ERASED: PersonId = PersonId(uuid::Uuid::nil());

    pub fn new_v7() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for PersonId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(PersonId)
    }
}
