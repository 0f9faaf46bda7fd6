//! Invitations to work for a workspace, accepted by the invitee (signed in, or by redeeming
//! the one-time token for a new account). Same answers as SQLite's invitations.rs.

use chrono::{DateTime, Utc};
use rekindle_core::access::Role;
use rekindle_core::{UserId, WorkspaceId};
use rekindle_store::{Invitation, Membership, Redeemed, Result, StoreError, Workspace};
use sqlx_core::error::{Error, ErrorKind};
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnection, PgRow};

use crate::accounts::user;
use crate::codec::parse;
use crate::{PostgresStore, db_err, sql};

/// The invitations joined with their workspace, followed by a `WHERE` clause.
macro_rules! invitations {
    ($rest:literal) => {
        concat!(
            "SELECT i.id, i.email, i.role, i.created_at, w.id, w.slug, w.name, w.time_zone, w.created_at
             FROM invitations i JOIN workspaces w ON w.id = i.workspace_id ",
            $rest
        )
    };
}

fn invitation(r: &PgRow) -> Result<Invitation, Error> {
    Ok(Invitation {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        role: parse(r.try_get(2)?)?,
        created_at: r.try_get(3)?,
        workspace: Workspace {
            id: WorkspaceId(r.try_get(4)?),
            slug: r.try_get(5)?,
            name: r.try_get(6)?,
            time_zone: r.try_get(7)?,
            created_at: r.try_get(8)?,
        },
    })
}

/// Give the invited role, unless the user already works for the workspace: an invitation
/// never changes a role someone holds (that is `set_role`'s, with its last-owner check).
/// Returns the role they hold now.
async fn grant(c: &mut PgConnection, user_id: i64, ws: WorkspaceId, role: Role) -> Result<Role> {
    sql("INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, workspace_id) DO NOTHING")
    .bind(user_id)
    .bind(ws.0)
    .bind(role.as_str())
    .bind(Utc::now())
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    let row = sql("SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2")
        .bind(user_id)
        .bind(ws.0)
        .fetch_one(c)
        .await
        .map_err(db_err)?;
    parse(row.try_get(0).map_err(db_err)?).map_err(db_err)
}

async fn workspace_of(c: &mut PgConnection, ws: i64) -> Result<Workspace> {
    let row = sql("SELECT id, slug, name, time_zone, created_at FROM workspaces WHERE id = $1")
        .bind(ws)
        .fetch_one(c)
        .await
        .map_err(db_err)?;
    crate::workspaces::workspace(&row).map_err(db_err)
}

/// Delete the invitation `id` if it is pending for the user's email: its workspace and role.
async fn take_invitation(c: &mut PgConnection, id: i64, user_id: i64) -> Result<(i64, Role)> {
    let row = sql("DELETE FROM invitations WHERE id = $1 AND email = (SELECT email FROM users WHERE id = $2)
                   RETURNING workspace_id, role")
    .bind(id)
    .bind(user_id)
    .fetch_optional(c)
    .await
    .map_err(db_err)?
    .ok_or_else(|| StoreError::NotFound(format!("invitation {id}")))?;
    Ok((row.try_get(0).map_err(db_err)?, parse(row.try_get(1).map_err(db_err)?).map_err(db_err)?))
}

#[async_trait::async_trait]
impl rekindle_store::Invitations for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn invite(&self, ws: WorkspaceId, email: &str, role: Role, token_hash: &str) -> Result<Invitation> {
        let row = sql("WITH i AS (
                         INSERT INTO invitations (workspace_id, email, role, token_hash, created_at)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (workspace_id, email) DO UPDATE
                         SET role = EXCLUDED.role, token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at
                         RETURNING id, email, role, created_at, workspace_id)
                       SELECT i.id, i.email, i.role, i.created_at, w.id, w.slug, w.name, w.time_zone, w.created_at
                       FROM i JOIN workspaces w ON w.id = i.workspace_id")
        .bind(ws.0)
        .bind(email)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e.as_database_error().map(|d| d.kind()) {
            Some(ErrorKind::ForeignKeyViolation) => StoreError::NotFound(format!("workspace {}", ws.0)),
            _ => db_err(e),
        })?;
        invitation(&row).map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn workspace_invitations(&self, ws: WorkspaceId) -> Result<Vec<Invitation>> {
        let rows = sql(invitations!("WHERE i.workspace_id = $1 ORDER BY i.email"))
            .bind(ws.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(invitation).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn invitations_for(&self, user_id: UserId) -> Result<Vec<Invitation>> {
        let user_id = user_id.0;
        let rows = sql(invitations!("WHERE i.email = (SELECT email FROM users WHERE id = $1) ORDER BY w.id"))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(invitation).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn accept_invitation(&self, id: i64, user_id: UserId) -> Result<Membership> {
        let user_id = user_id.0;
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let (ws, invited) = take_invitation(&mut tx, id, user_id).await?;
        let role = grant(&mut tx, user_id, WorkspaceId(ws), invited).await?;
        let workspace = workspace_of(&mut tx, ws).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Membership { workspace, role })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn decline_invitation(&self, id: i64, user_id: UserId) -> Result<()> {
        let user_id = user_id.0;
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        take_invitation(&mut conn, id, user_id).await.map(|_| ())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn revoke_invitation(&self, ws: WorkspaceId, id: i64) -> Result<()> {
        let done = sql("DELETE FROM invitations WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(ws.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound(format!("invitation {id}"))) } else { Ok(()) }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn redeem_invitation(
        &self,
        token_hash: &str,
        made_after: DateTime<Utc>,
        name: &str,
        password_hash: &str,
    ) -> Result<Option<Redeemed>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // Spending the token is the claim: of two redeemers, one finds it gone.
        let Some(row) = sql("UPDATE invitations SET token_hash = NULL WHERE token_hash = $1 AND created_at > $2
                             RETURNING id, workspace_id, email, role")
        .bind(token_hash)
        .bind(made_after)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        else {
            return Ok(None);
        };
        let (id, ws, email): (i64, i64, String) =
            (row.try_get(0).map_err(db_err)?, row.try_get(1).map_err(db_err)?, row.try_get(2).map_err(db_err)?);
        let role: Role = parse(row.try_get(3).map_err(db_err)?).map_err(db_err)?;
        let created = sql("INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4)
                           ON CONFLICT (email) DO NOTHING
                           RETURNING id, email, name, password_hash, created_at")
        .bind(&email)
        .bind(name)
        .bind(password_hash)
        .bind(Utc::now())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let outcome = match created {
            None => Redeemed::AccountExists,
            Some(row) => {
                let created = user(&row).map_err(db_err)?;
                grant(&mut tx, created.id.0, WorkspaceId(ws), role).await?;
                sql("DELETE FROM invitations WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
                Redeemed::Created(created)
            }
        };
        tx.commit().await.map_err(db_err)?;
        Ok(Some(outcome))
    }
}
