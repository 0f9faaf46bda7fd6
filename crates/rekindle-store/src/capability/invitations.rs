//! Invitations of operators to a workspace, accepted by an account or redeemed with a one-time token.

use crate::{Invitation, Membership, Redeemed, Result};
use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::{UserId, WorkspaceId};

/// Invitations of operators to a workspace, accepted by an account or redeemed with a one-time token.
#[async_trait::async_trait]
pub trait Invitations: Send + Sync {
    /// Invite `email` to `ws` as `role`, with the hash of a one-time token that lets a new
    /// account accept it. Replaces (renews) a pending invitation of the email to the workspace.
    async fn invite(&self, ws: WorkspaceId, email: &str, role: Role, token_hash: &str) -> Result<Invitation>;
    /// The workspace's pending invitations, by email.
    async fn workspace_invitations(&self, ws: WorkspaceId) -> Result<Vec<Invitation>>;
    /// The pending invitations of the user's email, by workspace id.
    async fn invitations_for(&self, user_id: UserId) -> Result<Vec<Invitation>>;
    /// Accept an invitation of the user's email: the role is theirs and the invitation gone,
    /// in one step; the membership as it now stands. Someone who already works for the
    /// workspace keeps the role they hold. `NotFound` unless it is pending for this user.
    async fn accept_invitation(&self, id: i64, user_id: UserId) -> Result<Membership>;
    /// Decline an invitation of the user's email. `NotFound` unless it is pending for them.
    async fn decline_invitation(&self, id: i64, user_id: UserId) -> Result<()>;
    /// Withdraw a pending invitation of the workspace. `NotFound` unless it is one.
    async fn revoke_invitation(&self, ws: WorkspaceId, id: i64) -> Result<()>;
    /// Spend the one-time token of an invitation made after `made_after`: when its email has
    /// no account, create it (`name`, `password_hash`) with the invited role and close the
    /// invitation; when it has one, leave both untouched. `None` when no live invitation has
    /// this token.
    async fn redeem_invitation(
        &self,
        token_hash: &str,
        made_after: DateTime<Utc>,
        name: &str,
        password_hash: &str,
    ) -> Result<Option<Redeemed>>;
}
