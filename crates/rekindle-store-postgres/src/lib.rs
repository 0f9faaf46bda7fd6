//! The shared store: PostgreSQL, for several server nodes writing one database.
//!
//! Same schema, same plans, same answers as `rekindle-store-sqlite`; the conformance suite holds
//! both to it. What differs is concurrency: SQLite has one writer, here any node may append at
//! any time, so `append` locks what it is about to decide on (see `append.rs`), and so do caps,
//! enrollments and coupons (see `journey_lock.rs`).
//!
//! sqlx's driver crates are used directly, without the `sqlx` facade, and only with runtime
//! queries: building needs no database.

mod accounts;
mod admin;
mod append;
mod change_feed;
mod codec;
mod erasure;
mod invitations;
mod journey_lock;
mod journey_store;
mod journeys;
mod ledgers;
mod lock;
mod log;
mod migrate;
mod objects;
mod outbox;
mod read;
mod scores;
mod segments;
mod write;

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::identity::IdentityPolicy;
use rekindle_core::lifecycle::Stage;
use rekindle_core::{Identifier, Message, PersonId, WorkspaceId};
use rekindle_store::{
    ApiToken, AppendReport, AuditEntry, AuditRecord, ConflictRecord, EventQuery, Horizon, Member, Membership,
    MembershipChange, MergeRecord, NewSegment, Person, PersonRef, PersonTag, Result, Segment, SegmentEdit,
    SegmentMember, SegmentSize, SegmentVersion, Session, Source, StageChange, StoreError, StoredEvent, Tag, Totals,
    User, Workspace, WriteKey,
};
use sqlx_core::connection::Connection;
use sqlx_core::query::Query;
use sqlx_core::sql_str::AssertSqlSafe;
use sqlx_postgres::{PgArguments, PgConnectOptions, PgConnection, PgPool, PgPoolOptions, Postgres};

/// Connections per node. Appends hold one for a whole batch; reads are short.
const POOL_SIZE: u32 = 16;

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connect to `url` (`postgres://user:pass@host/db`) and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(db_err)?;
        Self::open(options).await
    }

    /// Like [`Self::connect`], but every table lives in `schema`, created if missing. Tests use
    /// it to give each run its own empty store inside one database.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self> {
        let ident = quote_ident(schema)?;
        // A startup option, so every pooled connection has it, including ones made later.
        let options = PgConnectOptions::from_str(url).map_err(db_err)?.options([("search_path", &ident)]);
        let mut conn = PgConnection::connect_with(&options).await.map_err(db_err)?;
        sql_owned(format!("CREATE SCHEMA IF NOT EXISTS {ident}")).execute(&mut conn).await.map_err(db_err)?;
        conn.close().await.map_err(db_err)?;
        Self::open(options).await
    }

    /// Drop `schema` and everything in it, on a connection of its own.
    pub async fn drop_schema(url: &str, schema: &str) -> Result<()> {
        let ident = quote_ident(schema)?;
        let options = PgConnectOptions::from_str(url).map_err(db_err)?;
        let mut conn = PgConnection::connect_with(&options).await.map_err(db_err)?;
        // A connection left inside a transaction on the schema must not hang the caller.
        sql("SET lock_timeout = '10s'").execute(&mut conn).await.map_err(db_err)?;
        sql_owned(format!("DROP SCHEMA IF EXISTS {ident} CASCADE")).execute(&mut conn).await.map_err(db_err)?;
        conn.close().await.map_err(db_err)
    }

    async fn open(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(POOL_SIZE).connect_with(options).await.map_err(db_err)?;
        migrate::run(&pool).await.map_err(db_err)?;
        tracing::info!("postgres store open");
        Ok(Self { pool })
    }
}

/// A schema name as a quoted identifier, so any name is taken literally.
fn quote_ident(name: &str) -> Result<String> {
    if name.is_empty() || name.contains('\0') {
        return Err(StoreError::backend(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("bad schema name {name:?}"),
        )));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// A fixed statement, bound with `.bind` in `$n` order.
pub(crate) fn sql(q: &'static str) -> Query<'static, Postgres, PgArguments> {
    sqlx_core::query::query(q)
}

/// A statement assembled at run time from fixed pieces; values still go through binds.
pub(crate) fn sql_owned(q: String) -> Query<'static, Postgres, PgArguments> {
    sqlx_core::query::query(AssertSqlSafe(q))
}

pub(crate) fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::backend(e)
}

#[async_trait::async_trait]
impl rekindle_store::Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sql("SELECT 1").execute(&self.pool).await.map(drop).map_err(db_err)
    }

    async fn create_workspace(&self, slug: &str, name: &str, time_zone: &str) -> Result<Workspace> {
        self.create_workspace_impl(slug, name, time_zone).await
    }

    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>> {
        self.workspace_by_slug_impl(slug).await
    }

    async fn workspaces(&self) -> Result<Vec<Workspace>> {
        self.workspaces_impl().await
    }

    async fn create_write_key(&self, ws: WorkspaceId, name: &str, hash: &str, prefix: &str) -> Result<WriteKey> {
        self.create_write_key_impl(ws, name, hash, prefix).await
    }

    async fn write_keys(&self, ws: WorkspaceId) -> Result<Vec<WriteKey>> {
        self.write_keys_impl(ws).await
    }

    async fn revoke_write_key(&self, ws: WorkspaceId, id: i64) -> Result<()> {
        self.revoke_write_key_impl(ws, id).await
    }

    async fn write_key_by_hash(&self, hash: &str) -> Result<Option<WriteKey>> {
        self.write_key_by_hash_impl(hash).await
    }

    async fn append(
        &self,
        ws: WorkspaceId,
        messages: Vec<Message>,
        source: &Source,
        policy: &IdentityPolicy,
    ) -> Result<AppendReport> {
        self.append_impl(ws, &messages, source, policy).await
    }

    async fn person(&self, ws: WorkspaceId, who: &PersonRef) -> Result<Option<Person>> {
        self.person_impl(ws, who).await
    }

    async fn events(&self, ws: WorkspaceId, query: &EventQuery) -> Result<Vec<StoredEvent>> {
        self.events_impl(ws, query).await
    }

    async fn merges(&self, ws: WorkspaceId, into: Option<PersonId>, limit: u32) -> Result<Vec<MergeRecord>> {
        self.merges_impl(ws, into, limit).await
    }

    async fn conflicts(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<ConflictRecord>> {
        self.conflicts_impl(ws, limit).await
    }

    async fn totals(&self, ws: WorkspaceId) -> Result<Totals> {
        self.totals_impl(ws).await
    }

    async fn search_people(
        &self,
        ws: WorkspaceId,
        identifiers: &[Identifier],
        text: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        self.search_people_impl(ws, identifiers, text, limit).await
    }

    async fn first_seen(&self, ws: WorkspaceId, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
        self.first_seen_impl(ws, from, to).await
    }

    async fn update_workspace(
        &self,
        ws: WorkspaceId,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<Workspace> {
        self.update_workspace_impl(ws, name, time_zone).await
    }

    async fn create_user(&self, email: &str, name: &str, password_hash: &str) -> Result<User> {
        self.create_user_impl(email, name, password_hash).await
    }

    async fn user(&self, id: i64) -> Result<Option<User>> {
        self.user_impl(id).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.user_by_email_impl(email).await
    }

    async fn count_users(&self) -> Result<u64> {
        self.count_users_impl().await
    }

    async fn set_role(&self, user_id: i64, ws: WorkspaceId, role: Role) -> Result<()> {
        self.set_role_impl(user_id, ws, role).await
    }

    async fn remove_member(&self, user_id: i64, ws: WorkspaceId) -> Result<()> {
        self.remove_member_impl(user_id, ws).await
    }

    async fn memberships(&self, user_id: i64) -> Result<Vec<Membership>> {
        self.memberships_impl(user_id).await
    }

    async fn members(&self, ws: WorkspaceId) -> Result<Vec<Member>> {
        self.members_impl(ws).await
    }

    async fn create_session(&self, token_hash: &str, session: &Session) -> Result<()> {
        self.create_session_impl(token_hash, session).await
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        self.session_impl(token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.delete_session_impl(token_hash).await
    }

    async fn create_api_token(&self, user_id: i64, name: &str, hash: &str, prefix: &str) -> Result<ApiToken> {
        self.create_api_token_impl(user_id, name, hash, prefix).await
    }

    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        self.api_token_by_hash_impl(hash).await
    }

    async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        self.api_tokens_impl(user_id).await
    }

    async fn revoke_api_token(&self, user_id: i64, id: i64) -> Result<()> {
        self.revoke_api_token_impl(user_id, id).await
    }

    async fn invite(
        &self,
        ws: rekindle_core::WorkspaceId,
        email: &str,
        role: rekindle_core::access::Role,
        token_hash: &str,
    ) -> Result<rekindle_store::Invitation> {
        self.invite_impl(ws, email, role, token_hash).await
    }

    async fn workspace_invitations(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<rekindle_store::Invitation>> {
        self.workspace_invitations_impl(ws).await
    }

    async fn invitations_for(&self, user_id: i64) -> Result<Vec<rekindle_store::Invitation>> {
        self.invitations_for_impl(user_id).await
    }

    async fn accept_invitation(&self, id: i64, user_id: i64) -> Result<rekindle_store::Membership> {
        self.accept_invitation_impl(id, user_id).await
    }

    async fn decline_invitation(&self, id: i64, user_id: i64) -> Result<()> {
        self.decline_invitation_impl(id, user_id).await
    }

    async fn revoke_invitation(&self, ws: rekindle_core::WorkspaceId, id: i64) -> Result<()> {
        self.revoke_invitation_impl(ws, id).await
    }

    async fn redeem_invitation(
        &self,
        token_hash: &str,
        made_after: chrono::DateTime<chrono::Utc>,
        name: &str,
        password_hash: &str,
    ) -> Result<Option<rekindle_store::Redeemed>> {
        self.redeem_invitation_impl(token_hash, made_after, name, password_hash).await
    }

    async fn record_audit(&self, record: &AuditRecord) -> Result<()> {
        self.record_audit_impl(record).await
    }

    async fn audit_log(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<AuditEntry>> {
        self.audit_log_impl(ws, limit).await
    }

    async fn put_products(&self, ws: WorkspaceId, products: Vec<rekindle_core::objects::Product>) -> Result<()> {
        self.put_products_impl(ws, products).await
    }

    async fn products(&self, ws: WorkspaceId) -> Result<Vec<rekindle_core::objects::Product>> {
        self.products_impl(ws).await
    }

    async fn put_live_sessions(
        &self,
        ws: WorkspaceId,
        sessions: Vec<rekindle_core::objects::LiveSession>,
    ) -> Result<()> {
        self.put_live_sessions_impl(ws, sessions).await
    }

    async fn live_sessions(&self, ws: WorkspaceId) -> Result<Vec<rekindle_core::objects::LiveSession>> {
        self.live_sessions_impl(ws).await
    }

    async fn horizon(&self, ws: WorkspaceId) -> Result<Horizon> {
        self.horizon_impl(ws).await
    }

    async fn events_between(&self, ws: WorkspaceId, after: i64, upto: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        self.events_between_impl(ws, after, upto, limit).await
    }

    async fn merges_between(&self, ws: WorkspaceId, after: i64, upto: i64) -> Result<Vec<MergeRecord>> {
        self.merges_between_impl(ws, after, upto).await
    }

    async fn create_segment(&self, ws: WorkspaceId, segment: &NewSegment) -> Result<Segment> {
        self.create_segment_impl(ws, segment).await
    }

    async fn segments(&self, ws: WorkspaceId) -> Result<Vec<Segment>> {
        self.segments_impl(ws).await
    }

    async fn segment(&self, ws: WorkspaceId, id: i64) -> Result<Option<Segment>> {
        self.segment_impl(ws, id).await
    }

    async fn segment_versions(&self, ws: WorkspaceId, id: i64) -> Result<Vec<SegmentVersion>> {
        self.segment_versions_impl(ws, id).await
    }

    async fn update_segment(&self, ws: WorkspaceId, id: i64, edit: &SegmentEdit) -> Result<Segment> {
        self.update_segment_impl(ws, id, edit).await
    }

    async fn delete_segment(&self, ws: WorkspaceId, id: i64) -> Result<()> {
        self.delete_segment_impl(ws, id).await
    }

    async fn segment_members(
        &self,
        ws: WorkspaceId,
        id: i64,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<SegmentMember>> {
        self.segment_members_impl(ws, id, after, limit).await
    }

    async fn all_segment_members(&self, ws: WorkspaceId) -> Result<Vec<(i64, PersonId)>> {
        self.all_segment_members_impl(ws).await
    }

    async fn record_membership(
        &self,
        ws: WorkspaceId,
        changes: &[MembershipChange],
        sizes: &[SegmentSize],
    ) -> Result<()> {
        self.record_membership_impl(ws, changes, sizes).await
    }

    async fn segment_changes(&self, ws: WorkspaceId, id: i64, limit: u32) -> Result<Vec<MembershipChange>> {
        self.segment_changes_impl(ws, id, limit).await
    }

    async fn segment_sizes(&self, ws: WorkspaceId, id: i64, since: DateTime<Utc>) -> Result<Vec<SegmentSize>> {
        self.segment_sizes_impl(ws, id, since).await
    }

    async fn stages(&self, ws: WorkspaceId) -> Result<Vec<(PersonId, Stage)>> {
        self.stages_impl(ws).await
    }

    async fn record_stage_changes(&self, ws: WorkspaceId, changes: &[StageChange]) -> Result<()> {
        self.record_stage_changes_impl(ws, changes).await
    }

    async fn stage_changes(&self, ws: WorkspaceId, person: Option<PersonId>, limit: u32) -> Result<Vec<StageChange>> {
        self.stage_changes_impl(ws, person, limit).await
    }

    async fn membership_changes_after(
        &self,
        ws: WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, MembershipChange)>> {
        self.membership_changes_after_impl(ws, after, limit).await
    }

    async fn stage_changes_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> Result<Vec<(i64, StageChange)>> {
        self.stage_changes_after_impl(ws, after, limit).await
    }

    async fn put_tag(&self, ws: WorkspaceId, tag: &Tag) -> Result<()> {
        self.put_tag_impl(ws, tag).await
    }

    async fn tags(&self, ws: WorkspaceId) -> Result<Vec<Tag>> {
        self.tags_impl(ws).await
    }

    async fn delete_tag(&self, ws: WorkspaceId, name: &str) -> Result<()> {
        self.delete_tag_impl(ws, name).await
    }

    async fn tag_person(&self, ws: WorkspaceId, tag: &PersonTag) -> Result<()> {
        self.tag_person_impl(ws, tag).await
    }

    async fn untag_person(&self, ws: WorkspaceId, person: PersonId, tag: &str) -> Result<()> {
        self.untag_person_impl(ws, person, tag).await
    }

    async fn person_tags(&self, ws: WorkspaceId, person: Option<PersonId>) -> Result<Vec<PersonTag>> {
        self.person_tags_impl(ws, person).await
    }

    async fn put_scores(&self, ws: rekindle_core::WorkspaceId, scores: &[rekindle_store::StoredScores]) -> Result<()> {
        self.put_scores_impl(ws, scores).await
    }

    async fn person_scores(
        &self,
        ws: rekindle_core::WorkspaceId,
        person: rekindle_core::PersonId,
    ) -> Result<Option<rekindle_store::StoredScores>> {
        self.person_scores_impl(ws, person).await
    }
}
