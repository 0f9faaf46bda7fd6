//! Operator accounts: users, memberships, sessions, API tokens, the audit log.

use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::{UserId, WorkspaceId};
use rekindle_store::{
    Accounts, ApiToken, AuditEntry, AuditRecord, Member, Membership, Result, Session, StoreError, User, Workspace,
};
use rusqlite::{OptionalExtension, Row, params};

use crate::codec::{ms, parse, time};
use crate::{SqliteStore, db_err};

const USER_COLS: &str = "u.id, u.email, u.name, u.password_hash, u.created_at";
const TOKEN_COLS: &str = "id, user_id, name, prefix, created_at, revoked_at";

pub(crate) fn user(r: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(r.get(0)?),
        email: r.get(1)?,
        name: r.get(2)?,
        password_hash: r.get(3)?,
        created_at: time(r.get(4)?),
    })
}

fn api_token(r: &Row) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        user_id: UserId(r.get(1)?),
        name: r.get(2)?,
        prefix: r.get(3)?,
        created_at: time(r.get(4)?),
        revoked_at: r.get::<_, Option<i64>>(5)?.map(time),
    })
}

pub(crate) fn unique_violation(what: String) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::AlreadyExists(what)
        }
        e => db_err(e),
    }
}

#[async_trait::async_trait]
impl Accounts for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_user(&self, email: &str, name: &str, password_hash: &str) -> Result<User> {
        let (email, name, hash) = (email.to_string(), name.to_string(), password_hash.to_string());
        self.write(move |tx| {
            tx.query_row(
                "INSERT INTO users AS u (email, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 RETURNING id, email, name, password_hash, created_at",
                params![email, name, hash, ms(Utc::now())],
                user,
            )
            .map_err(unique_violation(format!("user {email}")))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        let id = id.0;
        self.read(move |c| {
            c.query_row(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?1"), [id], user)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {USER_COLS} FROM users u WHERE u.email = ?1"), [email], user)
                .optional()
                .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn count_users(&self) -> Result<u64> {
        self.read(|c| c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0)).map_err(db_err))
            .await
            .map(|n| n as u64)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_role(&self, user_id: UserId, ws: WorkspaceId, role: Role) -> Result<()> {
        let user_id = user_id.0;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role",
                params![user_id, ws.0, role.as_str(), ms(Utc::now())],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::NotFound(format!("user {user_id}"))
                }
                e => db_err(e),
            })?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn remove_member(&self, user_id: UserId, ws: WorkspaceId) -> Result<()> {
        let user_id = user_id.0;
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM memberships WHERE user_id = ?1 AND workspace_id = ?2", params![user_id, ws.0])
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("user {user_id} in this workspace"))) } else { Ok(()) }
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn memberships(&self, user_id: UserId) -> Result<Vec<Membership>> {
        let user_id = user_id.0;
        self.read(move |c| {
            let mut s = c
                .prepare(
                    "SELECT w.id, w.slug, w.name, w.time_zone, w.created_at, m.role FROM memberships m
                     JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ?1 ORDER BY w.id",
                )
                .map_err(db_err)?;
            s.query_map([user_id], |r| {
                Ok(Membership {
                    workspace: Workspace {
                        id: WorkspaceId(r.get(0)?),
                        slug: r.get(1)?,
                        name: r.get(2)?,
                        time_zone: r.get(3)?,
                        created_at: time(r.get(4)?),
                    },
                    role: parse(&r.get::<_, String>(5)?)?,
                })
            })
            .map_err(db_err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn members(&self, ws: WorkspaceId) -> Result<Vec<Member>> {
        self.read(move |c| {
            let mut s = c
                .prepare(&format!(
                    "SELECT {USER_COLS}, m.role FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.workspace_id = ?1 ORDER BY u.email"
                ))
                .map_err(db_err)?;
            s.query_map([ws.0], |r| Ok(Member { user: user(r)?, role: parse(&r.get::<_, String>(5)?)? }))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_session(&self, token_hash: &str, session: &Session) -> Result<()> {
        let (hash, s) = (token_hash.to_string(), session.clone());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![hash, s.user_id.0, s.csrf_token, ms(s.created_at), ms(s.expires_at)],
            )
            .map_err(unique_violation("session".into()))?;
            // Expired sessions go as new ones come, so the table stays the size of the live ones.
            tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [ms(s.created_at)]).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let hash = token_hash.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
                params![hash, ms(now)],
                |r| {
                    Ok(Session {
                        user_id: UserId(r.get(0)?),
                        csrf_token: r.get(1)?,
                        created_at: time(r.get(2)?),
                        expires_at: time(r.get(3)?),
                    })
                },
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let hash = token_hash.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash]).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_api_token(&self, user_id: UserId, name: &str, hash: &str, prefix: &str) -> Result<ApiToken> {
        let user_id = user_id.0;
        let (name, hash, prefix) = (name.to_string(), hash.to_string(), prefix.to_string());
        self.write(move |tx| {
            tx.query_row(
                &format!(
                    "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     RETURNING {TOKEN_COLS}"
                ),
                params![user_id, name, hash, prefix, ms(Utc::now())],
                api_token,
            )
            .map_err(unique_violation("API token".into()))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        let hash = hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL"),
                [hash],
                api_token,
            )
            .optional()
            .map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn api_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>> {
        let user_id = user_id.0;
        self.read(move |c| {
            let mut s = c
                .prepare(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = ?1 ORDER BY id"))
                .map_err(db_err)?;
            s.query_map([user_id], api_token).map_err(db_err)?.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_api_token(&self, user_id: UserId, id: i64) -> Result<()> {
        let user_id = user_id.0;
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3) WHERE user_id = ?1 AND id = ?2",
                    params![user_id, id, ms(Utc::now())],
                )
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("API token {id}"))) } else { Ok(()) }
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record_audit(&self, record: &AuditRecord) -> Result<()> {
        let a = record.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO audit_log (workspace_id, user_id, action, target, ip, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![a.workspace.map(|w| w.0), a.user_id.map(|u| u.0), a.action, a.target, a.ip, ms(Utc::now())],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn audit_log(&self, ws: WorkspaceId, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(move |c| {
            let mut s = c
                .prepare(
                    "SELECT a.id, a.workspace_id, a.user_id, a.action, a.target, a.ip, a.at, u.email
                     FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
                     WHERE a.workspace_id = ?1
                     ORDER BY a.id DESC LIMIT ?2",
                )
                .map_err(db_err)?;
            s.query_map(params![ws.0, limit], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    record: AuditRecord {
                        workspace: r.get::<_, Option<i64>>(1)?.map(WorkspaceId),
                        user_id: r.get::<_, Option<i64>>(2)?.map(UserId),
                        action: r.get(3)?,
                        target: r.get(4)?,
                        ip: r.get(5)?,
                    },
                    at: time(r.get(6)?),
                    user_email: r.get(7)?,
                })
            })
            .map_err(db_err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err)
        })
        .await
    }
}
