//! Operator accounts: users, memberships, sessions, API tokens, the audit log. Same answers as
//! SQLite's accounts.rs.

use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::{UserId, WorkspaceId};
use rekindle_store::{ApiToken, AuditEntry, AuditRecord, Member, Membership, Result, Session, StoreError, User};
use sqlx_core::error::{Error, ErrorKind};
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;

use crate::codec::parse;
use crate::workspaces::{is_unique_violation, workspace};
use crate::{PostgresStore, db_err, sql};

pub(crate) fn user(r: &PgRow) -> Result<User, Error> {
    Ok(User {
        id: UserId(r.try_get(0)?),
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        created_at: r.try_get(4)?,
    })
}

fn api_token(r: &PgRow) -> Result<ApiToken, Error> {
    Ok(ApiToken {
        id: r.try_get(0)?,
        user_id: UserId(r.try_get(1)?),
        name: r.try_get(2)?,
        prefix: r.try_get(3)?,
        created_at: r.try_get(4)?,
        revoked_at: r.try_get(5)?,
    })
}

fn session(r: &PgRow) -> Result<Session, Error> {
    Ok(Session {
        user_id: UserId(r.try_get(0)?),
        csrf_token: r.try_get(1)?,
        created_at: r.try_get(2)?,
        expires_at: r.try_get(3)?,
    })
}

fn audit_entry(r: &PgRow) -> Result<AuditEntry, Error> {
    Ok(AuditEntry {
        id: r.try_get(0)?,
        record: AuditRecord {
            workspace: r.try_get::<Option<i64>, _>(1)?.map(WorkspaceId),
            user_id: r.try_get::<Option<i64>, _>(2)?.map(UserId),
            action: r.try_get(3)?,
            target: r.try_get(4)?,
            ip: r.try_get(5)?,
        },
        at: r.try_get(6)?,
        user_email: r.try_get(7)?,
    })
}

fn role(r: &PgRow, i: usize) -> Result<Role, Error> {
    parse(r.try_get(i)?)
}

/// `AlreadyExists(what)` for a unique violation, a backend error otherwise.
pub(crate) fn unique_violation(what: String) -> impl FnOnce(Error) -> StoreError {
    move |e| if is_unique_violation(&e) { StoreError::AlreadyExists(what) } else { db_err(e) }
}

#[async_trait::async_trait]
impl rekindle_store::Accounts for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_user(&self, email: &str, name: &str, password_hash: &str) -> Result<User> {
        let row = sql("INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4)
                       RETURNING id, email, name, password_hash, created_at")
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(unique_violation(format!("user {email}")))?;
        user(&row).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let id = id.0;
        let row = sql("SELECT id, email, name, password_hash, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(user).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sql("SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(user).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn count_users(&self) -> Result<u64> {
        let row = sql("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await.map_err(db_err)?;
        row.try_get::<i64, _>(0).map(|n| n.max(0) as u64).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_role(&self, user_id: UserId, ws: WorkspaceId, role: Role) -> Result<()> {
        let user_id = user_id.0;
        sql("INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = EXCLUDED.role")
        .bind(user_id)
        .bind(ws.0)
        .bind(role.as_str())
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
            // No such user (or workspace): the foreign keys refuse the row.
            Some(ErrorKind::ForeignKeyViolation) => StoreError::NotFound(format!("user {user_id}")),
            _ => db_err(e),
        })?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn remove_member(&self, user_id: UserId, ws: WorkspaceId) -> Result<()> {
        let user_id = user_id.0;
        let done = sql("DELETE FROM memberships WHERE user_id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(ws.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound(format!("user {user_id} in this workspace")))
        } else {
            Ok(())
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn memberships(&self, user_id: UserId) -> Result<Vec<Membership>> {
        let user_id = user_id.0;
        let rows = sql("SELECT w.id, w.slug, w.name, w.time_zone, w.created_at, m.role FROM memberships m
                        JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 ORDER BY w.id")
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(Membership { workspace: workspace(r)?, role: role(r, 5)? }))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn members(&self, ws: WorkspaceId) -> Result<Vec<Member>> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        let rows = sql("SELECT u.id, u.email, u.name, u.password_hash, u.created_at, m.role FROM memberships m
                        JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email COLLATE \"C\"")
        .bind(ws.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok(Member { user: user(r)?, role: role(r, 5)? }))
            .collect::<Result<_, Error>>()
            .map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_session(&self, token_hash: &str, session: &Session) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sql("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(session.user_id.0)
            .bind(&session.csrf_token)
            .bind(session.created_at)
            .bind(session.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(unique_violation("session".into()))?;
        // Expired sessions go as new ones come, so the table stays the size of the live ones.
        sql("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(session.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let row = sql("SELECT user_id, csrf_token, created_at, expires_at FROM sessions
                       WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(session).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sql("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_api_token(&self, user_id: UserId, name: &str, hash: &str, prefix: &str) -> Result<ApiToken> {
        let user_id = user_id.0;
        let row =
            sql("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)
                       RETURNING id, user_id, name, prefix, created_at, revoked_at")
            .bind(user_id)
            .bind(name)
            .bind(hash)
            .bind(prefix)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await
            .map_err(unique_violation("API token".into()))?;
        api_token(&row).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        let row = sql("SELECT id, user_id, name, prefix, created_at, revoked_at
                       FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(api_token).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn api_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>> {
        let user_id = user_id.0;
        let rows = sql("SELECT id, user_id, name, prefix, created_at, revoked_at
                        FROM api_tokens WHERE user_id = $1 ORDER BY id")
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(api_token).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_api_token(&self, user_id: UserId, id: i64) -> Result<()> {
        let user_id = user_id.0;
        // Revoking twice keeps the first time; the row still counts as found.
        let done = sql("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .bind(Utc::now())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound(format!("API token {id}"))) } else { Ok(()) }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_audit(&self, record: &AuditRecord) -> Result<()> {
        sql("INSERT INTO audit_log (workspace_id, user_id, action, target, ip, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(record.workspace.map(|w| w.0))
            .bind(record.user_id.map(|u| u.0))
            .bind(&record.action)
            .bind(&record.target)
            .bind(&record.ip)
            .bind(Utc::now())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn audit_log(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<AuditEntry>> {
        // Only what was recorded with this workspace's id: a member's actions elsewhere (and
        // deployment-wide ones) are not this workspace's to read.
        let rows = sql("SELECT a.id, a.workspace_id, a.user_id, a.action, a.target, a.ip, a.at, u.email
                        FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
                        WHERE a.workspace_id = $1
                        ORDER BY a.id DESC LIMIT $2")
        .bind(ws.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(audit_entry).collect::<Result<_, _>>().map_err(db_err)
    }
}
