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

/// A row id the store gives out, typed by what it names so a segment's id cannot be passed
/// where a journey's is wanted.
macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

row_id!(
    /// A saved segment.
    SegmentId
);
row_id!(
    /// A journey, whatever its version.
    JourneyId
);
row_id!(
    /// An operator's account, across workspaces.
    UserId
);

/// One person after identity resolution. UUIDv7, so ids sort by creation time and can be made
/// without a round trip to the database (the OneID planner creates people in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub uuid::Uuid);

/// The order of the id's bytes, compared as one big-endian integer: the same order as the
/// bytes', in one comparison instead of a `memcmp` (audiences sort and merge a million ids).
impl Ord for PersonId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.as_u128().cmp(&other.0.as_u128())
    }
}

impl PartialOrd for PersonId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::PersonId;

    proptest! {
        #[test]
        fn person_ids_sort_as_their_bytes(a in any::<[u8; 16]>(), b in any::<[u8; 16]>()) {
            let (x, y) = (PersonId(uuid::Uuid::from_bytes(a)), PersonId(uuid::Uuid::from_bytes(b)));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        }
    }
}
