//! Who may do what: operator roles, the permissions they carry, and masking of identifiers
//! for roles that may not see them (documents are masked by [`crate::masking`]). The server enforces this matrix for the
//! console and the REST API alike (docs/access.md).

use std::fmt;
use std::str::FromStr;

use crate::{IdentifierKind, phone};

/// A role one user holds in one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Open, assign, note and resolve after-sales tickets; record replies; edit the FAQ
    /// knowledge base and the service's hours (docs/service.md).
    #[serde(rename = "service.manage")]
    ServiceManage,
    /// Channel QR codes, customer transfers between staff members and the WeCom tag sync
    /// (docs/relationships.md).
    #[serde(rename = "contacts.manage")]
    ContactsManage,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
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
        Self::ServiceManage,
        Self::ContactsManage,
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
                    PeopleRead
                        | PiiRead
                        | EventsRead
                        | CatalogueWrite
                        | KeysManage
                        | SegmentsManage
                        | JourneysManage
                        | ServiceManage
                        | ContactsManage
                )
            }
            Self::Host => matches!(p, PeopleRead | EventsRead | CatalogueWrite),
            Self::Service => matches!(p, PeopleRead | PiiRead | EventsRead | ServiceManage),
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

/// The masked form of an identifier for roles without [`Permission::PiiRead`]: phones as
/// 138****1234 (the national number's first three and last four digits), every other kind
/// (WeChat ids, user ids, anonymous and previous ids) as its first and last four characters.
/// Documents (traits, event payloads) are masked by [`crate::masking::mask_document`].
pub fn mask(kind: IdentifierKind, value: &str) -> String {
    match kind {
        IdentifierKind::Phone => phone::mask(value),
        _ => crate::masking::mask_opaque(value),
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
    fn service_is_run_by_the_service_role_and_those_above_it() {
        let can: Vec<Role> = Role::ALL.into_iter().filter(|r| r.permits(Permission::ServiceManage)).collect();
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
        assert_eq!(mask(IdentifierKind::UserId, "shop-user-000123"), "shop****0123");
    }
}
