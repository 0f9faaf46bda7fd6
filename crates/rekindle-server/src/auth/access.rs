//! What a caller may do in the workspace a request names: the role they hold there and the
//! permissions it carries (the matrix is `rekindle_core::access`).

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use rekindle_core::WorkspaceId;
use rekindle_core::access::{Permission, Role};
use rekindle_store::{DEFAULT_WORKSPACE, Workspace};

use super::{Caller, Principal};
use crate::error::{ApiError, ErrorCode};
use crate::routes::api::WorkspaceParam;
use crate::state::AppState;

/// Longest a read waits for acknowledged events to be applied.
pub const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// An authenticated caller, the workspace of the request (`?workspace=`, default `default`)
/// and their role there. Every `/api/v1` route but sign-in takes one, so none is open.
pub struct Access {
    pub caller: Caller,
    pub workspace: Workspace,
    pub role: Role,
    /// The language the caller reads (`Accept-Language`), for what the answer says in words.
    pub lang: crate::routes::api::Lang,
}

impl Access {
    /// The store's time zone (Shanghai if what is stored does not parse).
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.workspace.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// The caller's access to the workspace `slug`.
    pub async fn resolve(caller: Caller, slug: &str, state: &AppState) -> Result<Self, ApiError> {
        let not_found = || ApiError::not_found(format!("workspace {slug}"));
        let (workspace, role) = match &caller.principal {
            Principal::Admin => (state.store.workspace_by_slug(slug).await?.ok_or_else(not_found)?, Role::Owner),
            // A workspace the user does not work for looks the same as one that does not exist.
            Principal::User(user) => state
                .store
                .memberships(user.id)
                .await?
                .into_iter()
                .find(|m| m.workspace.slug == slug)
                .map(|m| (m.workspace, m.role))
                .ok_or_else(not_found)?,
        };
        Ok(Access { caller, workspace, role, lang: Default::default() })
    }

    pub fn ws(&self) -> WorkspaceId {
        self.workspace.id
    }

    /// `Forbidden` unless the role carries `p`.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.role.permits(p) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("the {} role may not do this (needs {})", self.role, permission_name(p)),
            ))
        }
    }

    /// Whether personal identifiers are shown whole.
    pub fn reveals_pii(&self) -> bool {
        self.role.permits(Permission::PiiRead)
    }

    /// Record an action in this workspace's audit log. A failure to record is logged, not
    /// returned: the action itself has already happened.
    pub async fn audit(&self, state: &AppState, action: &str, target: impl Into<Option<String>>) {
        if let Err(e) = self.caller.audit(state, self.ws(), action, target.into()).await {
            tracing::error!(error = ?e, action, "could not record an audit entry");
        }
    }
}

fn permission_name(p: Permission) -> String {
    serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl FromRequestParts<AppState> for Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Query(param) = Query::<WorkspaceParam>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::field(ErrorCode::InvalidField, "workspace", e.body_text()))?;
        let slug = param.workspace.unwrap_or_else(|| DEFAULT_WORKSPACE.to_string());
        let mut access = Access::resolve(caller, &slug, state).await?;
        access.lang = crate::routes::api::Lang::from_headers(&parts.headers);
        // Ingestion acknowledges before it applies (see rekindle-ingest): a read waits until
        // it would see every event acknowledged before it. Past the wait it answers anyway,
        // from what is applied, rather than fail.
        if !state.ingestor.settled(SETTLE_WAIT).await {
            tracing::warn!(wait = ?SETTLE_WAIT, "answering before ingestion caught up");
        }
        Ok(access)
    }
}

/// An [`Access`] whose role carries the permission `P` (a type of [`perm`]), checked as the
/// request arrives: before the body is read, so a caller without the right gets 403 whatever
/// the body holds and however large it is. Routes that take a body take this rather than
/// [`Access`] and [`Access::require`].
pub struct Can<P>(pub Access, PhantomData<P>);

impl<P> Deref for Can<P> {
    type Target = Access;

    fn deref(&self) -> &Access {
        &self.0
    }
}

/// A permission as a type, for [`Can`].
pub trait Permit {
    const PERMISSION: Permission;
}

/// One type per [`Permission`], named as it is: `Can<perm::UsersManage>`.
pub mod perm {
    use rekindle_core::access::Permission;

    macro_rules! permits {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("[`Permission::", stringify!($name), "`].")]
            pub struct $name;
            impl super::Permit for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    permits!(
        PeopleRead,
        PiiRead,
        EventsRead,
        CatalogueWrite,
        KeysManage,
        UsersManage,
        AuditRead,
        WorkspaceManage,
        SegmentsManage,
        JourneysManage,
        ServiceManage,
        ContactsManage,
    );
}

impl<P: Permit + Send> FromRequestParts<AppState> for Can<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let access = Access::from_request_parts(parts, state).await?;
        access.require(P::PERMISSION)?;
        Ok(Can(access, PhantomData))
    }
}
