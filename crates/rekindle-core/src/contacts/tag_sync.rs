//! Tags both ways between Rekindle and WeCom's corporate tags (docs/relationships.md).
//!
//! The rule for conflicts, by ownership: the WeCom tag group Rekindle syncs into (回流 by
//! default) is Rekindle's — each chosen Rekindle tag (manual or rule) has a tag there, put on
//! every friendship of the people who carry it and taken off the others, so what staff change
//! inside that group is undone at the next sync. Every other group is the staff's: those tags
//! come into Rekindle as manual tags named `企微:{tag}`, given while any of the customer's
//! friendships carries the tag and taken away when none does, and never pushed back.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The prefix of Rekindle tags that mirror staff's WeCom tags.
pub const PULLED_PREFIX: &str = "企微:";

/// What a store syncs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct TagSync {
    pub enabled: bool,
    /// The WeCom tag group Rekindle owns.
    pub group_name: String,
    /// Rekindle tags (manual or rule) pushed to WeCom.
    pub tags: Vec<String>,
    /// Bring staff's WeCom tags (other groups) into Rekindle.
    pub pull: bool,
}

impl Default for TagSync {
    fn default() -> Self {
        Self { enabled: false, group_name: "回流".into(), tags: Vec::new(), pull: true }
    }
}

/// One friendship's tag changes in WeCom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark<'a> {
    pub staff: &'a str,
    pub external: &'a str,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// A friendship as WeCom lists it, with its tag ids.
pub struct Tagged<'a> {
    pub staff: &'a str,
    pub external: &'a str,
    pub tag_ids: &'a [String],
}

/// The marks that make Rekindle's group match: `wanted` is, per friendship's customer
/// (external id), the tag ids of Rekindle's group their person should carry; `ours` every tag
/// id in Rekindle's group.
pub fn marks<'a>(
    friendships: &[Tagged<'a>],
    wanted: &BTreeMap<&str, BTreeSet<String>>,
    ours: &BTreeSet<String>,
) -> Vec<Mark<'a>> {
    let none = BTreeSet::new();
    friendships
        .iter()
        .filter_map(|f| {
            let want = wanted.get(f.external).unwrap_or(&none);
            let has: BTreeSet<&String> = f.tag_ids.iter().filter(|t| ours.contains(*t)).collect();
            let add: Vec<String> = want.iter().filter(|t| !has.contains(t)).cloned().collect();
            let remove: Vec<String> = has.iter().filter(|t| !want.contains(**t)).map(|t| (*t).clone()).collect();
            (!add.is_empty() || !remove.is_empty()).then_some(Mark {
                staff: f.staff,
                external: f.external,
                add,
                remove,
            })
        })
        .collect()
}

/// The Rekindle tags a customer should carry from staff's WeCom tags: every tag outside
/// Rekindle's group that any of their friendships carries, named by `names` (tag id → name).
pub fn pulled<'a>(
    friendships: impl IntoIterator<Item = &'a [String]>,
    ours: &BTreeSet<String>,
    names: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    friendships
        .into_iter()
        .flatten()
        .filter(|id| !ours.contains(*id))
        .filter_map(|id| names.get(id))
        .map(|name| format!("{PULLED_PREFIX}{name}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rekindle_owns_its_group_and_staff_own_the_rest() {
        let ours: BTreeSet<String> = ids(&["et-vip", "et-new"]).into_iter().collect();
        let a = ids(&["et-new", "et-staff-1"]);
        let b = ids(&[]);
        let friendships = [
            Tagged { staff: "guide-1", external: "wm-1", tag_ids: &a },
            Tagged { staff: "host-1", external: "wm-1", tag_ids: &b },
        ];
        let wanted: BTreeMap<&str, BTreeSet<String>> = [("wm-1", ids(&["et-vip"]).into_iter().collect())].into();
        let m = marks(&friendships, &wanted, &ours);
        assert_eq!(
            m,
            [
                Mark { staff: "guide-1", external: "wm-1", add: ids(&["et-vip"]), remove: ids(&["et-new"]) },
                Mark { staff: "host-1", external: "wm-1", add: ids(&["et-vip"]), remove: vec![] },
            ],
            "the staff's own tag et-staff-1 is left alone"
        );
        let names: BTreeMap<String, String> =
            [("et-staff-1".into(), "爱吃榴莲".into()), ("et-vip".into(), "VIP".into())].into();
        let got = pulled([a.as_slice(), b.as_slice()], &ours, &names);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), ["企微:爱吃榴莲"]);
        // In sync: nothing to do.
        let synced = ids(&["et-vip", "et-staff-1"]);
        let f = [Tagged { staff: "guide-1", external: "wm-1", tag_ids: &synced }];
        assert!(marks(&f, &wanted, &ours).is_empty());
    }
}
