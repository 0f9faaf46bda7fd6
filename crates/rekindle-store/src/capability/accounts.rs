//! Operator accounts: users, their roles in workspaces, sessions, API tokens, the audit log.

use crate::{ApiToken, AuditEntry, AuditRecord, Member, Membership, Result, Session, User};
use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::{UserId, WorkspaceId};

/// Operator accounts: users, their roles in workspaces, sessions, API tokens, the audit log.
#[async_trait::async_trait]
pub trait Accounts: Send + Sync {
    /// `AlreadyExists` when the email is taken.
    async fn create_user(&self, email: &str, name: &str, password_hash: &str) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn count_users(&self) -> Result<u64>;
    /// Give a user a role in a workspace, replacing any role they had there.
    async fn set_role(&self, user_id: UserId, ws: WorkspaceId, role: Role) -> Result<()>;
    /// Take a user out of a workspace; `NotFound` when they were not in it.
    async fn remove_member(&self, user_id: UserId, ws: WorkspaceId) -> Result<()>;
    /// The workspaces a user works for, by workspace id.
    async fn memberships(&self, user_id: UserId) -> Result<Vec<Membership>>;
    /// The users of a workspace, by email.
    async fn members(&self, ws: WorkspaceId) -> Result<Vec<Member>>;

    async fn create_session(&self, token_hash: &str, session: &Session) -> Result<()>;
    /// The session with this token hash, unless it expired before `now`.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn create_api_token(&self, user_id: UserId, name: &str, hash: &str, prefix: &str) -> Result<ApiToken>;
    /// The live (not revoked) token with this hash.
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>>;
    async fn api_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>>;
    /// `NotFound` unless the user holds a token with this id.
    async fn revoke_api_token(&self, user_id: UserId, id: i64) -> Result<()>;

    async fn record_audit(&self, record: &AuditRecord) -> Result<()>;
    /// A workspace's own audit log, newest first: only what was recorded with its id.
    async fn audit_log(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<AuditEntry>>;
}
