//! Operator accounts: users, their roles per workspace, login sessions, API tokens and the
//! audit log. Secrets (passwords, session and API tokens) are stored only as hashes made by
//! the caller; the store never sees them in the clear.

use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::{UserId, WorkspaceId};
use serde::Serialize;

use crate::Workspace;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    /// Lower-case; unique across the deployment.
    pub email: String,
    pub name: String,
    /// An argon2id PHC string.
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A workspace a user works for, and as what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub workspace: Workspace,
    pub role: Role,
}

/// A user of a workspace, and their role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// A login session, found by the hash of its cookie token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    /// Sent back by the console in `X-CSRF-Token` on every state-changing request.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One operator action, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditRecord {
    /// The workspace whose log the entry belongs to; only that workspace's log shows it. A
    /// sign-in is recorded once in each workspace of the user; `None` is deployment-wide and
    /// in no workspace's log (e.g. a failed sign-in for an email with no account).
    pub workspace: Option<WorkspaceId>,
    pub user_id: Option<UserId>,
    /// What was done, as `noun.verb`: `auth.login`, `user.create`, `write_key.revoke`, …
    pub action: String,
    /// What it was done to, in words: an email, a key id, a SKU count.
    pub target: Option<String>,
    /// Where the request came from.
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub record: AuditRecord,
    /// The user's email at reading time, when the action had a user.
    pub user_email: Option<String>,
    pub at: DateTime<Utc>,
}

/// An invitation to work for a workspace, waiting for the invitee to accept it. Membership
/// is only ever granted by the invitee: signed in (an existing account) or by redeeming the
/// invitation's one-time token (a new account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub workspace: Workspace,
    /// Lower-case, as accounts are keyed.
    pub email: String,
    pub role: Role,
    /// When it was made (or last renewed); its one-time token is good for a while after.
    pub created_at: DateTime<Utc>,
}

/// What redeeming an invitation's one-time token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The email had no account: it was created with the given name and password and holds
    /// the invited role.
    Created(User),
    /// The email already has an account, which is left untouched: its holder accepts the
    /// invitation when signed in. The token is spent either way.
    AccountExists,
}
