//! Who may do what: operator roles, the permissions they carry, and masking of personal
//! identifiers for roles that may not see them. The server enforces this matrix for the
//! console and the REST API alike (docs/access.md).

use std::fmt;
use std::str::FromStr;

use crate::{IdentifierKind, phone};

/// A role one user holds in one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the store: everything, including users, the audit log and store settings.
    Owner,
    /// Runs campaigns and the catalogue: people with personal identifiers, write keys.
    Operator,
    /// Hosts live sessions: people and their activity, the catalogue and schedule; no
    /// personal identifiers.
    Host,
    /// Customer service: people with personal identifiers, to answer them.
    Service,
    /// Reads the data for analysis; personal identifiers masked.
    Analyst,
}

/// One thing a request may need to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Permission {
    /// People, their profiles, events and orders; the dashboard.
    #[serde(rename = "people.read")]
    PeopleRead,
    /// Personal identifiers (phone, WeChat ids) unmasked.
    #[serde(rename = "pii.read")]
    PiiRead,
    /// The raw event stream of the workspace, identity merges and conflicts.
    #[serde(rename = "events.read")]
    EventsRead,
    /// Replace products and the live-session schedule.
    #[serde(rename = "catalogue.write")]
    CatalogueWrite,
    /// Create and revoke write keys.
    #[serde(rename = "keys.manage")]
    KeysManage,
    /// Add users to the workspace, change their roles, remove them.
    #[serde(rename = "users.manage")]
    UsersManage,
    /// Read the audit log.
    #[serde(rename = "audit.read")]
    AuditRead,
    /// Change the store's name and time zone.
    #[serde(rename = "workspace.manage")]
    WorkspaceManage,
    /// Save, edit and delete segments and tags; tag people.
    #[serde(rename = "segments.manage")]
    SegmentsManage,
    /// Edit, publish and pause journeys; message templates and coupons.
    #[serde(rename = "journeys.manage")]
    JourneysManage,
    /// Erase a person on their request, irreversibly (docs/privacy.md).
    #[serde(rename = "people.erase")]
    PeopleErase,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Self::PeopleRead,
        Self::PiiRead,
        Self::EventsRead,
        Self::CatalogueWrite,
        Self::KeysManage,
        Self::UsersManage,
        Self::AuditRead,
        Self::WorkspaceManage,
        Self::SegmentsManage,
        Self::JourneysManage,
        Self::PeopleErase,
    ];
}

impl Role {
    pub const ALL: [Role; 5] = [Self::Owner, Self::Operator, Self::Host, Self::Service, Self::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Operator => "operator",
            Self::Host => "host",
            Self::Service => "service",
            Self::Analyst => "analyst",
        }
    }

    /// The permission matrix. Written out whole so it reads as the table it is.
    pub fn permits(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Self::Owner => true,
            Self::Operator => {
                matches!(
                    p,
                    PeopleRead | PiiRead | EventsRead | CatalogueWrite | KeysManage | SegmentsManage | JourneysManage
                )
            }
            Self::Host => matches!(p, PeopleRead | EventsRead | CatalogueWrite),
            Self::Service => matches!(p, PeopleRead | PiiRead | EventsRead),
            Self::Analyst => matches!(p, PeopleRead | EventsRead),
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.permits(*p)).collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}; expected owner, operator, host, service or analyst"))
    }
}

/// Identifier kinds that name a real person outside Rekindle, masked for roles without
/// [`Permission::PiiRead`]. Rekindle's own ids (user_id, anonymous_id) are not personal data
/// of that kind and stay readable, so an analyst can still follow a person.
pub fn is_personal(kind: IdentifierKind) -> bool {
    matches!(
        kind,
        IdentifierKind::Phone
            | IdentifierKind::WechatOpenid
            | IdentifierKind::WechatUnionid
            | IdentifierKind::WecomExternalUserid
    )
}

/// The masked form of a personal identifier: phones as 138****1234 (the national number's
/// first three and last four digits), other ids as their first and last four characters.
pub fn mask(kind: IdentifierKind, value: &str) -> String {
    match kind {
        IdentifierKind::Phone => phone::mask(value),
        _ => {
            let chars: Vec<char> = value.chars().collect();
            if chars.len() <= 8 {
                "*".repeat(chars.len())
            } else {
                let head: String = chars[..4].iter().collect();
                let tail: String = chars[chars.len() - 4..].iter().collect();
                format!("{head}****{tail}")
            }
        }
    }
}

/// Mask the personal identifiers among profile traits (`phone`, the WeChat ids), in place.
/// A phone that does not parse is masked as text.
pub fn mask_traits(traits: &mut serde_json::Map<String, serde_json::Value>) {
    for kind in IdentifierKind::TRAIT_KINDS {
        if !is_personal(kind) {
            continue;
        }
        if let Some(v) = traits.get_mut(kind.as_str()) {
            let text = match &*v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            let value = match kind {
                IdentifierKind::Phone => phone::normalize(&text).unwrap_or(text),
                _ => text,
            };
            *v = serde_json::Value::String(mask(kind, &value));
        }
    }
}

/// Mask the personal identifiers in a stored message: its `traits` and `context.traits`.
pub fn mask_payload(payload: &mut serde_json::Value) {
    if let Some(t) = payload.get_mut("traits").and_then(serde_json::Value::as_object_mut) {
        mask_traits(t);
    }
    if let Some(t) =
        payload.get_mut("context").and_then(|c| c.get_mut("traits")).and_then(serde_json::Value::as_object_mut)
    {
        mask_traits(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_manage_users_and_read_the_audit_log() {
        for role in Role::ALL {
            assert_eq!(role.permits(Permission::UsersManage), role == Role::Owner);
            assert_eq!(role.permits(Permission::AuditRead), role == Role::Owner);
            assert!(role.permits(Permission::PeopleRead), "{role} reads people");
        }
    }

    #[test]
    fn personal_identifiers_are_for_the_roles_that_serve_people() {
        let can: Vec<Role> = Role::ALL.into_iter().filter(|r| r.permits(Permission::PiiRead)).collect();
        assert_eq!(can, [Role::Owner, Role::Operator, Role::Service]);
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn masks_keep_only_what_tells_ids_apart() {
        assert_eq!(mask(IdentifierKind::Phone, "+8613812341234"), "138****1234");
        assert_eq!(mask(IdentifierKind::WechatUnionid, "oUnion-1234567890"), "oUni****7890");
        assert_eq!(mask(IdentifierKind::WechatOpenid, "short"), "*****");
    }

    #[test]
    fn payload_traits_lose_their_personal_identifiers() {
        let mut payload = serde_json::json!({"userId": "u1", "traits": {"phone": "138 1234 5678", "nickname": "小李"},
            "context": {"traits": {"wechat_unionid": "oUnion-1234567890"}}});
        mask_payload(&mut payload);
        assert_eq!(payload["traits"]["phone"], "138****5678");
        assert_eq!(payload["traits"]["nickname"], "小李");
        assert_eq!(payload["context"]["traits"]["wechat_unionid"], "oUni****7890");
        assert_eq!(payload["userId"], "u1");
    }
}
