//! Invitations to work for a workspace, accepted by the invitee (signed in, or by redeeming
//! the one-time token for a new account).

use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::{UserId, WorkspaceId};
use rekindle_store::{Invitation, Invitations, Membership, Redeemed, Result, StoreError, User, Workspace};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::accounts::user;
use crate::codec::{ms, parse, time};
use crate::{SqliteStore, db_err};

const INVITATION: &str = "SELECT i.id, i.email, i.role, i.created_at, w.id, w.slug, w.name, w.time_zone, w.created_at
     FROM invitations i JOIN workspaces w ON w.id = i.workspace_id";

fn invitation(r: &Row) -> rusqlite::Result<Invitation> {
    Ok(Invitation {
        id: r.get(0)?,
        email: r.get(1)?,
        role: parse(&r.get::<_, String>(2)?)?,
        created_at: time(r.get(3)?),
        workspace: Workspace {
            id: WorkspaceId(r.get(4)?),
            slug: r.get(5)?,
            name: r.get(6)?,
            time_zone: r.get(7)?,
            created_at: time(r.get(8)?),
        },
    })
}

/// The invitation `id` if it is pending for the user's email.
fn pending_for(tx: &Transaction<'_>, id: i64, user_id: i64) -> Result<Invitation> {
    tx.query_row(
        &format!("{INVITATION} WHERE i.id = ?1 AND i.email = (SELECT email FROM users WHERE id = ?2)"),
        params![id, user_id],
        invitation,
    )
    .optional()
    .map_err(db_err)?
    .ok_or_else(|| StoreError::NotFound(format!("invitation {id}")))
}

/// Give the invited role, unless the user already works for the workspace: an invitation
/// never changes a role someone holds (that is `set_role`'s, with its last-owner check).
/// Returns the role they hold now.
fn grant(tx: &Transaction<'_>, user_id: i64, ws: WorkspaceId, role: Role) -> Result<Role> {
    tx.execute(
        "INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, workspace_id) DO NOTHING",
        params![user_id, ws.0, role.as_str(), ms(Utc::now())],
    )
    .map_err(db_err)?;
    tx.query_row("SELECT role FROM memberships WHERE user_id = ?1 AND workspace_id = ?2", params![user_id, ws.0], |r| {
        parse(&r.get::<_, String>(0)?)
    })
    .map_err(db_err)
}

#[async_trait::async_trait]
impl Invitations for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn invite(&self, ws: WorkspaceId, email: &str, role: Role, token_hash: &str) -> Result<Invitation> {
        let (email, hash) = (email.to_string(), token_hash.to_string());
        self.write(move |tx| {
            let id: i64 = tx
                .query_row(
                    "INSERT INTO invitations (workspace_id, email, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (workspace_id, email) DO UPDATE
                     SET role = excluded.role, token_hash = excluded.token_hash, created_at = excluded.created_at
                     RETURNING id",
                    params![ws.0, email, role.as_str(), hash, ms(Utc::now())],
                    |r| r.get(0),
                )
                // The only constraint left to fail is the workspace's foreign key.
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                        StoreError::NotFound(format!("workspace {}", ws.0))
                    }
                    e => db_err(e),
                })?;
            tx.query_row(&format!("{INVITATION} WHERE i.id = ?1"), [id], invitation).map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn workspace_invitations(&self, ws: WorkspaceId) -> Result<Vec<Invitation>> {
        self.read(move |c| {
            let mut s =
                c.prepare(&format!("{INVITATION} WHERE i.workspace_id = ?1 ORDER BY i.email")).map_err(db_err)?;
            s.query_map([ws.0], invitation).map_err(db_err)?.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn invitations_for(&self, user_id: UserId) -> Result<Vec<Invitation>> {
        let user_id = user_id.0;
        self.read(move |c| {
            let mut s = c
                .prepare(&format!("{INVITATION} WHERE i.email = (SELECT email FROM users WHERE id = ?1) ORDER BY w.id"))
                .map_err(db_err)?;
            s.query_map([user_id], invitation).map_err(db_err)?.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn accept_invitation(&self, id: i64, user_id: UserId) -> Result<Membership> {
        let user_id = user_id.0;
        self.write(move |tx| {
            let inv = pending_for(tx, id, user_id)?;
            let role = grant(tx, user_id, inv.workspace.id, inv.role)?;
            tx.execute("DELETE FROM invitations WHERE id = ?1", [id]).map_err(db_err)?;
            Ok(Membership { workspace: inv.workspace, role })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn decline_invitation(&self, id: i64, user_id: UserId) -> Result<()> {
        let user_id = user_id.0;
        self.write(move |tx| {
            pending_for(tx, id, user_id)?;
            tx.execute("DELETE FROM invitations WHERE id = ?1", [id]).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn revoke_invitation(&self, ws: WorkspaceId, id: i64) -> Result<()> {
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM invitations WHERE id = ?1 AND workspace_id = ?2", params![id, ws.0])
                .map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("invitation {id}"))) } else { Ok(()) }
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn redeem_invitation(
        &self,
        token_hash: &str,
        made_after: DateTime<Utc>,
        name: &str,
        password_hash: &str,
    ) -> Result<Option<Redeemed>> {
        let (token_hash, name, password_hash) = (token_hash.to_string(), name.to_string(), password_hash.to_string());
        self.write(move |tx| {
            let Some(inv) = tx
                .query_row(
                    &format!("{INVITATION} WHERE i.token_hash = ?1 AND i.created_at > ?2"),
                    params![token_hash, ms(made_after)],
                    invitation,
                )
                .optional()
                .map_err(db_err)?
            else {
                return Ok(None);
            };
            tx.execute("UPDATE invitations SET token_hash = NULL WHERE id = ?1", [inv.id]).map_err(db_err)?;
            let exists: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)", [&inv.email], |r| r.get(0))
                .map_err(db_err)?;
            if exists {
                return Ok(Some(Redeemed::AccountExists));
            }
            let created: User = tx
                .query_row(
                    "INSERT INTO users (email, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                     RETURNING id, email, name, password_hash, created_at",
                    params![inv.email, name, password_hash, ms(Utc::now())],
                    user,
                )
                .map_err(db_err)?;
            grant(tx, created.id.0, inv.workspace.id, inv.role)?;
            tx.execute("DELETE FROM invitations WHERE id = ?1", [inv.id]).map_err(db_err)?;
            Ok(Some(Redeemed::Created(created)))
        })
        .await
    }
}
