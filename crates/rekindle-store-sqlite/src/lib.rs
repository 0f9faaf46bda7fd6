//! The embedded store: one SQLite database file in WAL mode under `--data-dir`.
//!
//! rusqlite rather than sqlx here: ingestion runs a handful of statements per message inside
//! one transaction, and sqlx's SQLite driver sends every statement through a channel to its
//! worker thread, which costs more than the statement itself. One writer connection runs on
//! the blocking pool; readers have their own connections, which WAL lets run beside it.

mod accounts;
mod admin;
mod append;
mod change_feed;
mod checkpoint;
mod codec;
mod erasure;
mod inbox;
mod invitations;
mod journey_store;
mod journeys;
mod ledgers;
mod log;
mod migrate;
mod objects;
mod outbox;
mod read;
mod scores;
mod segments;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use inbox::{INBOX_FILE, SqliteInbox};
use rekindle_store::{Inbox, Result, StoreError};
use rusqlite::Connection;

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "rekindle.db";
const READERS: usize = 4;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    inbox: Arc<SqliteInbox>,
}

impl SqliteStore {
    /// Open (creating if needed) the store in `data_dir` and bring its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        let data_dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&data_dir)).await.map_err(StoreError::backend)?
    }

    fn open_blocking(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(StoreError::backend)?;
        let path = data_dir.join(DB_FILE);
        let mut writer = connect(&path).map_err(StoreError::backend)?;
        migrate::run(&mut writer, migrate::STORE).map_err(StoreError::backend)?;
        // The checkpoint thread does this work instead (see checkpoint.rs).
        writer.pragma_update(None, "wal_autocheckpoint", 0).map_err(StoreError::backend)?;
        tracing::info!(path = %path.display(), "sqlite store open");
        let inbox = Arc::new(SqliteInbox::open_blocking(data_dir)?);
        let inner =
            Arc::new(Inner { path: path.clone(), writer: Mutex::new(writer), readers: Mutex::new(Vec::new()), inbox });
        checkpoint::spawn(path, Arc::downgrade(&inner));
        Ok(Self { inner })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Run `f` in a write transaction on the blocking pool; commit when it returns `Ok`.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(StoreError::backend)?;
            let out = f(&tx)?;
            tx.commit().map_err(StoreError::backend)?;
            Ok(out)
        })
        .await
        .map_err(StoreError::backend)?
    }

    /// Run `f` on a reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let conn = match conn {
                Some(c) => c,
                None => connect(&inner.path).map_err(StoreError::backend)?,
            };
            let out = f(&conn);
            let mut pool = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < READERS {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(StoreError::backend)?
    }
}

pub(crate) fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // FULL: a commit is on disk before `append` returns, so an acknowledged event survives a
    // power cut, not only a crash. Group commit in the ingest layer keeps fsyncs few.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;",
    )?;
    // Room for every statement of the hot paths (ingest, enrollments, the outbox): the
    // default 16 would evict and parse them again.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// Statements through the connection's statement cache. `Connection::query_row` and
/// `execute` parse the SQL on every call, which on the event path costs more than running it.
pub(crate) trait Cached {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl Cached for Connection {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

#[async_trait::async_trait]
impl rekindle_store::Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db_err)).await
    }

    fn inbox(&self) -> Option<Arc<dyn Inbox>> {
        Some(self.inner.inbox.clone())
    }

    async fn create_workspace(&self, slug: &str, name: &str, time_zone: &str) -> Result<rekindle_store::Workspace> {
        self.create_workspace_impl(slug, name, time_zone).await
    }

    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<rekindle_store::Workspace>> {
        self.workspace_by_slug_impl(slug).await
    }

    async fn workspaces(&self) -> Result<Vec<rekindle_store::Workspace>> {
        self.workspaces_impl().await
    }

    async fn create_write_key(
        &self,
        ws: rekindle_core::WorkspaceId,
        name: &str,
        hash: &str,
        prefix: &str,
    ) -> Result<rekindle_store::WriteKey> {
        self.create_write_key_impl(ws, name, hash, prefix).await
    }

    async fn write_keys(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<rekindle_store::WriteKey>> {
        self.write_keys_impl(ws).await
    }

    async fn revoke_write_key(&self, ws: rekindle_core::WorkspaceId, id: i64) -> Result<()> {
        self.revoke_write_key_impl(ws, id).await
    }

    async fn write_key_by_hash(&self, hash: &str) -> Result<Option<rekindle_store::WriteKey>> {
        self.write_key_by_hash_impl(hash).await
    }

    async fn append(
        &self,
        ws: rekindle_core::WorkspaceId,
        messages: Vec<rekindle_core::Message>,
        source: &rekindle_store::Source,
        policy: &rekindle_core::identity::IdentityPolicy,
    ) -> Result<rekindle_store::AppendReport> {
        self.append_impl(ws, messages, source.clone(), policy.clone()).await
    }

    async fn person(
        &self,
        ws: rekindle_core::WorkspaceId,
        who: &rekindle_store::PersonRef,
    ) -> Result<Option<rekindle_store::Person>> {
        self.person_impl(ws, who.clone()).await
    }

    async fn events(
        &self,
        ws: rekindle_core::WorkspaceId,
        query: &rekindle_store::EventQuery,
    ) -> Result<Vec<rekindle_store::StoredEvent>> {
        self.events_impl(ws, query.clone()).await
    }

    async fn merges(
        &self,
        ws: rekindle_core::WorkspaceId,
        into: Option<rekindle_core::PersonId>,
        limit: u32,
    ) -> Result<Vec<rekindle_store::MergeRecord>> {
        self.merges_impl(ws, into, limit).await
    }

    async fn conflicts(
        &self,
        ws: rekindle_core::WorkspaceId,
        limit: u32,
    ) -> Result<Vec<rekindle_store::ConflictRecord>> {
        self.conflicts_impl(ws, limit).await
    }

    async fn totals(&self, ws: rekindle_core::WorkspaceId) -> Result<rekindle_store::Totals> {
        self.totals_impl(ws).await
    }

    async fn search_people(
        &self,
        ws: rekindle_core::WorkspaceId,
        identifiers: &[rekindle_core::Identifier],
        text: Option<&str>,
        limit: u32,
    ) -> Result<Vec<rekindle_store::Person>> {
        self.search_people_impl(ws, identifiers.to_vec(), text.map(str::to_owned), limit).await
    }

    async fn first_seen(
        &self,
        ws: rekindle_core::WorkspaceId,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<chrono::DateTime<chrono::Utc>>> {
        self.first_seen_impl(ws, from, to).await
    }

    async fn update_workspace(
        &self,
        ws: rekindle_core::WorkspaceId,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<rekindle_store::Workspace> {
        self.update_workspace_impl(ws, name.map(str::to_owned), time_zone.map(str::to_owned)).await
    }

    async fn create_user(&self, email: &str, name: &str, password_hash: &str) -> Result<rekindle_store::User> {
        self.create_user_impl(email, name, password_hash).await
    }

    async fn user(&self, id: i64) -> Result<Option<rekindle_store::User>> {
        self.user_impl(id).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<rekindle_store::User>> {
        self.user_by_email_impl(email).await
    }

    async fn count_users(&self) -> Result<u64> {
        self.count_users_impl().await
    }

    async fn set_role(
        &self,
        user_id: i64,
        ws: rekindle_core::WorkspaceId,
        role: rekindle_core::access::Role,
    ) -> Result<()> {
        self.set_role_impl(user_id, ws, role).await
    }

    async fn remove_member(&self, user_id: i64, ws: rekindle_core::WorkspaceId) -> Result<()> {
        self.remove_member_impl(user_id, ws).await
    }

    async fn memberships(&self, user_id: i64) -> Result<Vec<rekindle_store::Membership>> {
        self.memberships_impl(user_id).await
    }

    async fn members(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<rekindle_store::Member>> {
        self.members_impl(ws).await
    }

    async fn create_session(&self, token_hash: &str, session: &rekindle_store::Session) -> Result<()> {
        self.create_session_impl(token_hash, session).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<rekindle_store::Session>> {
        self.session_impl(token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.delete_session_impl(token_hash).await
    }

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        hash: &str,
        prefix: &str,
    ) -> Result<rekindle_store::ApiToken> {
        self.create_api_token_impl(user_id, name, hash, prefix).await
    }

    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<rekindle_store::ApiToken>> {
        self.api_token_by_hash_impl(hash).await
    }

    async fn api_tokens(&self, user_id: i64) -> Result<Vec<rekindle_store::ApiToken>> {
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

    async fn record_audit(&self, record: &rekindle_store::AuditRecord) -> Result<()> {
        self.record_audit_impl(record).await
    }

    async fn audit_log(&self, ws: rekindle_core::WorkspaceId, limit: u32) -> Result<Vec<rekindle_store::AuditEntry>> {
        self.audit_log_impl(ws, limit).await
    }

    async fn put_products(
        &self,
        ws: rekindle_core::WorkspaceId,
        products: Vec<rekindle_core::objects::Product>,
    ) -> Result<()> {
        self.put_products_impl(ws, products).await
    }

    async fn products(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<rekindle_core::objects::Product>> {
        self.products_impl(ws).await
    }

    async fn put_live_sessions(
        &self,
        ws: rekindle_core::WorkspaceId,
        sessions: Vec<rekindle_core::objects::LiveSession>,
    ) -> Result<()> {
        self.put_live_sessions_impl(ws, sessions).await
    }

    async fn live_sessions(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<rekindle_core::objects::LiveSession>> {
        self.live_sessions_impl(ws).await
    }

    async fn horizon(&self, ws: rekindle_core::WorkspaceId) -> Result<rekindle_store::Horizon> {
        self.horizon_impl(ws).await
    }

    async fn events_between(
        &self,
        ws: rekindle_core::WorkspaceId,
        after: i64,
        upto: i64,
        limit: u32,
    ) -> Result<Vec<rekindle_store::StoredEvent>> {
        self.events_between_impl(ws, after, upto, limit).await
    }

    async fn merges_between(
        &self,
        ws: rekindle_core::WorkspaceId,
        after: i64,
        upto: i64,
    ) -> Result<Vec<rekindle_store::MergeRecord>> {
        self.merges_between_impl(ws, after, upto).await
    }

    async fn create_segment(
        &self,
        ws: rekindle_core::WorkspaceId,
        segment: &rekindle_store::NewSegment,
    ) -> Result<rekindle_store::Segment> {
        self.create_segment_impl(ws, segment.clone()).await
    }

    async fn segments(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<rekindle_store::Segment>> {
        self.segments_impl(ws).await
    }

    async fn segment(&self, ws: rekindle_core::WorkspaceId, id: i64) -> Result<Option<rekindle_store::Segment>> {
        self.segment_impl(ws, id).await
    }

    async fn segment_versions(
        &self,
        ws: rekindle_core::WorkspaceId,
        id: i64,
    ) -> Result<Vec<rekindle_store::SegmentVersion>> {
        self.segment_versions_impl(ws, id).await
    }

    async fn update_segment(
        &self,
        ws: rekindle_core::WorkspaceId,
        id: i64,
        edit: &rekindle_store::SegmentEdit,
    ) -> Result<rekindle_store::Segment> {
        self.update_segment_impl(ws, id, edit.clone()).await
    }

    async fn delete_segment(&self, ws: rekindle_core::WorkspaceId, id: i64) -> Result<()> {
        self.delete_segment_impl(ws, id).await
    }

    async fn segment_members(
        &self,
        ws: rekindle_core::WorkspaceId,
        id: i64,
        after: Option<rekindle_core::PersonId>,
        limit: u32,
    ) -> Result<Vec<rekindle_store::SegmentMember>> {
        self.segment_members_impl(ws, id, after, limit).await
    }

    async fn all_segment_members(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<(i64, rekindle_core::PersonId)>> {
        self.all_segment_members_impl(ws).await
    }

    async fn record_membership(
        &self,
        ws: rekindle_core::WorkspaceId,
        changes: &[rekindle_store::MembershipChange],
        sizes: &[rekindle_store::SegmentSize],
    ) -> Result<()> {
        self.record_membership_impl(ws, changes.to_vec(), sizes.to_vec()).await
    }

    async fn segment_changes(
        &self,
        ws: rekindle_core::WorkspaceId,
        id: i64,
        limit: u32,
    ) -> Result<Vec<rekindle_store::MembershipChange>> {
        self.segment_changes_impl(ws, id, limit).await
    }

    async fn segment_sizes(
        &self,
        ws: rekindle_core::WorkspaceId,
        id: i64,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<rekindle_store::SegmentSize>> {
        self.segment_sizes_impl(ws, id, since).await
    }

    async fn stages(
        &self,
        ws: rekindle_core::WorkspaceId,
    ) -> Result<Vec<(rekindle_core::PersonId, rekindle_core::lifecycle::Stage)>> {
        self.stages_impl(ws).await
    }

    async fn record_stage_changes(
        &self,
        ws: rekindle_core::WorkspaceId,
        changes: &[rekindle_store::StageChange],
    ) -> Result<()> {
        self.record_stage_changes_impl(ws, changes.to_vec()).await
    }

    async fn stage_changes(
        &self,
        ws: rekindle_core::WorkspaceId,
        person: Option<rekindle_core::PersonId>,
        limit: u32,
    ) -> Result<Vec<rekindle_store::StageChange>> {
        self.stage_changes_impl(ws, person, limit).await
    }

    async fn membership_changes_after(
        &self,
        ws: rekindle_core::WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, rekindle_store::MembershipChange)>> {
        self.membership_changes_after_impl(ws, after, limit).await
    }

    async fn stage_changes_after(
        &self,
        ws: rekindle_core::WorkspaceId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, rekindle_store::StageChange)>> {
        self.stage_changes_after_impl(ws, after, limit).await
    }

    async fn put_tag(&self, ws: rekindle_core::WorkspaceId, tag: &rekindle_store::Tag) -> Result<()> {
        self.put_tag_impl(ws, tag.clone()).await
    }

    async fn tags(&self, ws: rekindle_core::WorkspaceId) -> Result<Vec<rekindle_store::Tag>> {
        self.tags_impl(ws).await
    }

    async fn delete_tag(&self, ws: rekindle_core::WorkspaceId, name: &str) -> Result<()> {
        self.delete_tag_impl(ws, name.to_string()).await
    }

    async fn tag_person(&self, ws: rekindle_core::WorkspaceId, tag: &rekindle_store::PersonTag) -> Result<()> {
        self.tag_person_impl(ws, tag.clone()).await
    }

    async fn untag_person(
        &self,
        ws: rekindle_core::WorkspaceId,
        person: rekindle_core::PersonId,
        tag: &str,
    ) -> Result<()> {
        self.untag_person_impl(ws, person, tag.to_string()).await
    }

    async fn person_tags(
        &self,
        ws: rekindle_core::WorkspaceId,
        person: Option<rekindle_core::PersonId>,
    ) -> Result<Vec<rekindle_store::PersonTag>> {
        self.person_tags_impl(ws, person).await
    }

    async fn put_scores(&self, ws: rekindle_core::WorkspaceId, scores: &[rekindle_store::StoredScores]) -> Result<()> {
        self.put_scores_impl(ws, scores.to_vec()).await
    }

    async fn person_scores(
        &self,
        ws: rekindle_core::WorkspaceId,
        person: rekindle_core::PersonId,
    ) -> Result<Option<rekindle_store::StoredScores>> {
        self.person_scores_impl(ws, person).await
    }
}
