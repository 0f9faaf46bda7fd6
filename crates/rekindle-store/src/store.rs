use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::objects::{LiveSession, Product};
use rekindle_core::{Identifier, Message, PersonId, WorkspaceId};

use std::sync::Arc;

use crate::{
    ApiToken, AppendReport, AuditEntry, AuditRecord, ConflictRecord, EventQuery, Horizon, Inbox, Invitation, Member,
    Membership, MembershipChange, MergeRecord, NewSegment, Person, PersonRef, PersonTag, Redeemed, Result, Segment,
    SegmentEdit, SegmentMember, SegmentSize, SegmentVersion, Session, Source, StageChange, StoredEvent, StoredScores,
    Tag, Totals, User, Workspace, WriteKey,
};
use rekindle_core::lifecycle::Stage;

/// Everything Rekindle keeps. One implementation per database; all pass the conformance suite.
///
/// Every method that takes a [`WorkspaceId`] reads and writes that workspace only.
#[async_trait::async_trait]
pub trait Store: crate::JourneyStore + crate::Erasure + Send + Sync + 'static {
    /// Which backend this is, for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// Check the database answers.
    async fn ping(&self) -> Result<()>;

    /// The durable inbox ingestion acknowledges into, if this backend keeps one (see
    /// [`Inbox`]). Without one, ingestion acknowledges only after [`Store::append`].
    fn inbox(&self) -> Option<Arc<dyn Inbox>> {
        None
    }

    async fn create_workspace(&self, slug: &str, name: &str, time_zone: &str) -> Result<Workspace>;
    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>>;
    async fn workspaces(&self) -> Result<Vec<Workspace>>;

    /// Store a write key by the hash of its secret (see `rekindle_core::secret`).
    async fn create_write_key(&self, ws: WorkspaceId, name: &str, hash: &str, prefix: &str) -> Result<WriteKey>;
    async fn write_keys(&self, ws: WorkspaceId) -> Result<Vec<WriteKey>>;
    /// Revoke a key; `NotFound` when the workspace has no such key.
    async fn revoke_write_key(&self, ws: WorkspaceId, id: i64) -> Result<()>;
    /// The live (not revoked) key with this hash, in whichever workspace.
    async fn write_key_by_hash(&self, hash: &str) -> Result<Option<WriteKey>>;

    /// Store messages as events, resolving identities, in one transaction: when this returns
    /// `Ok` everything is durable; on `Err` nothing was written. Messages whose id is already
    /// stored are skipped, so a retried batch never counts twice.
    async fn append(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<AppendReport>;

    /// A person by id (following merges to the survivor) or by any identifier.
    async fn person(&self, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Person>>;
    async fn events(&self, ws: WorkspaceId, query: &EventQuery) -> Result<Vec<StoredEvent>>;
    /// Merges into this person (or into anyone, with `None`), newest first.
    async fn merges(&self, ws: WorkspaceId, into: Option<PersonId>, limit: u32) -> Result<Vec<MergeRecord>>;
    /// Refused merges and links, newest first.
    async fn conflicts(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<ConflictRecord>>;
    async fn totals(&self, ws: WorkspaceId) -> Result<Totals>;

    /// People whose identifiers include one of `identifiers`, or whose nickname contains
    /// `text`, most recently updated first.
    async fn search_people(
        &self,
        ws: WorkspaceId,
        identifiers: &[Identifier],
        text: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Person>>;

    /// When each person whose first event falls in `[from, to)` was first seen (their first
    /// event's time), in no particular order.
    async fn first_seen(&self, ws: WorkspaceId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>>;

    /// Change a workspace's name and/or time zone.
    async fn update_workspace(&self, ws: WorkspaceId, name: Option<&str>, time_zone: Option<&str>)
    -> Result<Workspace>;

    // Operator accounts (see `accounts.rs`).

    /// `AlreadyExists` when the email is taken.
    async fn create_user(&self, email: &str, name: &str, password_hash: &str) -> Result<User>;
    async fn user(&self, id: i64) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn count_users(&self) -> Result<u64>;
    /// Give a user a role in a workspace, replacing any role they had there.
    async fn set_role(&self, user_id: i64, ws: WorkspaceId, role: Role) -> Result<()>;
    /// Take a user out of a workspace; `NotFound` when they were not in it.
    async fn remove_member(&self, user_id: i64, ws: WorkspaceId) -> Result<()>;
    /// The workspaces a user works for, by workspace id.
    async fn memberships(&self, user_id: i64) -> Result<Vec<Membership>>;
    /// The users of a workspace, by email.
    async fn members(&self, ws: WorkspaceId) -> Result<Vec<Member>>;

    async fn create_session(&self, token_hash: &str, session: &Session) -> Result<()>;
    /// The session with this token hash, unless it expired before `now`.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn create_api_token(&self, user_id: i64, name: &str, hash: &str, prefix: &str) -> Result<ApiToken>;
    /// The live (not revoked) token with this hash.
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>>;
    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    /// `NotFound` unless the user holds a token with this id.
    async fn revoke_api_token(&self, user_id: i64, id: i64) -> Result<()>;

    /// Invite `email` to `ws` as `role`, with the hash of a one-time token that lets a new
    /// account accept it. Replaces (renews) a pending invitation of the email to the workspace.
    async fn invite(&self, ws: WorkspaceId, email: &str, role: Role, token_hash: &str) -> Result<Invitation>;
    /// The workspace's pending invitations, by email.
    async fn workspace_invitations(&self, ws: WorkspaceId) -> Result<Vec<Invitation>>;
    /// The pending invitations of the user's email, by workspace id.
    async fn invitations_for(&self, user_id: i64) -> Result<Vec<Invitation>>;
    /// Accept an invitation of the user's email: the role is theirs and the invitation gone,
    /// in one step; the membership as it now stands. Someone who already works for the
    /// workspace keeps the role they hold. `NotFound` unless it is pending for this user.
    async fn accept_invitation(&self, id: i64, user_id: i64) -> Result<Membership>;
    /// Decline an invitation of the user's email. `NotFound` unless it is pending for them.
    async fn decline_invitation(&self, id: i64, user_id: i64) -> Result<()>;
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

    async fn record_audit(&self, record: &AuditRecord) -> Result<()>;
    /// A workspace's own audit log, newest first: only what was recorded with its id.
    async fn audit_log(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<AuditEntry>>;

    /// Insert or replace products by SKU.
    async fn put_products(&self, ws: WorkspaceId, products: Vec<Product>) -> Result<()>;
    /// The catalogue, by SKU.
    async fn products(&self, ws: WorkspaceId) -> Result<Vec<Product>>;
    /// Insert or replace live sessions by id.
    async fn put_live_sessions(&self, ws: WorkspaceId, sessions: Vec<LiveSession>) -> Result<()>;
    /// The live-session schedule, by scheduled start.
    async fn live_sessions(&self, ws: WorkspaceId) -> Result<Vec<LiveSession>>;

    // The incremental read of the log (see [`Horizon`]).

    async fn horizon(&self, ws: WorkspaceId) -> Result<Horizon>;
    /// Events with ids in `(after, upto]`, in id order, at most `limit`.
    async fn events_between(&self, ws: WorkspaceId, after: i64, upto: i64, limit: u32) -> Result<Vec<StoredEvent>>;
    /// Merges with ids in `(after, upto]`, in id order.
    async fn merges_between(&self, ws: WorkspaceId, after: i64, upto: i64) -> Result<Vec<MergeRecord>>;

    // Segments (see `segments.rs`).

    /// `AlreadyExists` when the workspace has a segment of that name.
    async fn create_segment(&self, ws: WorkspaceId, segment: &NewSegment) -> Result<Segment>;
    /// By name.
    async fn segments(&self, ws: WorkspaceId) -> Result<Vec<Segment>>;
    async fn segment(&self, ws: WorkspaceId, id: i64) -> Result<Option<Segment>>;
    /// Newest first.
    async fn segment_versions(&self, ws: WorkspaceId, id: i64) -> Result<Vec<SegmentVersion>>;
    /// `NotFound`, or `AlreadyExists` when renaming onto another segment's name.
    async fn update_segment(&self, ws: WorkspaceId, id: i64, edit: &SegmentEdit) -> Result<Segment>;
    /// The segment and its membership; its recorded changes stay. `NotFound` when absent.
    async fn delete_segment(&self, ws: WorkspaceId, id: i64) -> Result<()>;
    /// Members by person id, after `after`.
    async fn segment_members(
        &self,
        ws: WorkspaceId,
        id: i64,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<SegmentMember>>;
    /// Every membership of the workspace: (segment, person).
    async fn all_segment_members(&self, ws: WorkspaceId) -> Result<Vec<(i64, PersonId)>>;
    /// Apply entries and exits to membership, record them, and record the sizes; one
    /// transaction.
    async fn record_membership(
        &self,
        ws: WorkspaceId,
        changes: &[MembershipChange],
        sizes: &[SegmentSize],
    ) -> Result<()>;
    /// Newest first.
    async fn segment_changes(&self, ws: WorkspaceId, id: i64, limit: u32) -> Result<Vec<MembershipChange>>;
    /// Sizes recorded since `since`, oldest first.
    async fn segment_sizes(&self, ws: WorkspaceId, id: i64, since: DateTime<Utc>) -> Result<Vec<SegmentSize>>;

    // Lifecycle stages as last recorded.

    /// Every staged person's current stage.
    async fn stages(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, Stage)>>;
    /// Move people to their new stages and record the changes; one transaction.
    async fn record_stage_changes(&self, ws: WorkspaceId, changes: &[StageChange]) -> Result<()>;
    /// A person's stage changes (or everyone's), newest first.
    async fn stage_changes(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<StageChange>>;
    /// Entries and exits recorded after the one with id `after`, oldest first, with their ids
    /// (what the journey runner acts on).
    async fn membership_changes_after(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, MembershipChange)>>;
    /// Stage changes recorded after the one with id `after`, oldest first, with their ids.
    async fn stage_changes_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> Result<Vec<(i64, StageChange)>>;

    // Tags.

    /// Create or replace a tag's definition.
    async fn put_tag(&self, ws: WorkspaceId, tag: &Tag) -> Result<()>;
    /// By name.
    async fn tags(&self, ws: WorkspaceId) -> Result<Vec<Tag>>;
    /// The tag and every manual use of it. `NotFound` when absent.
    async fn delete_tag(&self, ws: WorkspaceId, name: &str) -> Result<()>;
    /// Put a manual tag on a person (again: no change). `NotFound` when the tag is not defined.
    async fn tag_person(&self, ws: WorkspaceId, tag: &PersonTag) -> Result<()>;
    /// `NotFound` when the person does not carry the tag.
    async fn untag_person(&self, ws: WorkspaceId, person: PersonId, tag: &str) -> Result<()>;
    /// Manual tags: of one person, or of everyone.
    async fn person_tags(&self, ws: WorkspaceId, person: Option<PersonId>) -> Result<Vec<PersonTag>>;

    // Predictions.

    /// Replace the workspace's stored scores with these, all as of one moment later than any
    /// stored. A store may write them in parts: until it returns, readers can see some people's
    /// new scores beside others' old ones.
    async fn put_scores(&self, ws: WorkspaceId, scores: &[StoredScores]) -> Result<()>;
    /// A person's stored scores.
    async fn person_scores(&self, ws: WorkspaceId, person: PersonId) -> Result<Option<StoredScores>>;
}
