//! Posts to customer groups. Same answers as SQLite's group_posts.rs; here the ceiling holds
//! because queueing takes a transaction lock on the group's day first, so racing senders
//! count one after another.

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::WorkspaceId;
use rekindle_store::{GroupPost, GroupPostState, GroupPosts, GroupQueued, NewGroupPost, Result, StoreError};
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::PgRow;

use crate::{PostgresStore, db_err, sql};

const COLUMNS: &str =
    "id, send_key, group_id, day, promotional, sender, text, attachments, state, msgid, error, created_at, sent_at";

fn post(r: &PgRow) -> Result<GroupPost> {
    let state: String = r.try_get(8).map_err(db_err)?;
    Ok(GroupPost {
        id: r.try_get(0).map_err(db_err)?,
        send_key: r.try_get(1).map_err(db_err)?,
        group_id: r.try_get(2).map_err(db_err)?,
        day: r.try_get::<NaiveDate, _>(3).map_err(db_err)?,
        promotional: r.try_get(4).map_err(db_err)?,
        sender: r.try_get(5).map_err(db_err)?,
        text: r.try_get(6).map_err(db_err)?,
        attachments: r.try_get::<Json<serde_json::Value>, _>(7).map_err(db_err)?.0,
        state: GroupPostState::parse(&state)
            .ok_or_else(|| StoreError::backend(std::io::Error::other(format!("group post state {state:?}"))))?,
        msgid: r.try_get(9).map_err(db_err)?,
        error: r.try_get(10).map_err(db_err)?,
        created_at: r.try_get(11).map_err(db_err)?,
        sent_at: r.try_get(12).map_err(db_err)?,
    })
}

#[async_trait::async_trait]
impl GroupPosts for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn queue_group_post(&self, ws: WorkspaceId, p: &NewGroupPost, ceiling: u32) -> Result<GroupQueued> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // One lock per group and day: posts to other groups or days never wait on it.
        sql("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
            .bind(format!("group_post:{}:{}", p.group_id, p.day))
            .bind(ws.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let again = sql("SELECT id FROM group_posts WHERE workspace_id = $1 AND send_key = $2")
            .bind(ws.0)
            .bind(&p.send_key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if let Some(r) = again {
            return Ok(GroupQueued::Again(r.try_get(0).map_err(db_err)?));
        }
        if p.promotional {
            let taken: i64 =
                sql("SELECT COUNT(*) FROM group_posts WHERE workspace_id = $1 AND group_id = $2 AND day = $3
                 AND promotional AND state != 'failed'")
                .bind(ws.0)
                .bind(&p.group_id)
                .bind(p.day)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?
                .try_get(0)
                .map_err(db_err)?;
            if taken >= i64::from(ceiling) {
                return Ok(GroupQueued::Capped);
            }
        }
        let id: i64 = sql("INSERT INTO group_posts (workspace_id, send_key, group_id, day, promotional, sender, text,
             attachments, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9) RETURNING id")
        .bind(ws.0)
        .bind(&p.send_key)
        .bind(&p.group_id)
        .bind(p.day)
        .bind(p.promotional)
        .bind(&p.sender)
        .bind(&p.text)
        .bind(Json(&p.attachments))
        .bind(p.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?
        .try_get(0)
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(GroupQueued::Queued(id))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn group_posts(&self, ws: WorkspaceId, group: Option<&str>, limit: u32) -> Result<Vec<GroupPost>> {
        let rows = crate::sql_owned(format!(
            "SELECT {COLUMNS} FROM group_posts WHERE workspace_id = $1 AND ($2::text IS NULL OR group_id = $2)
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(ws.0)
        .bind(group)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(post).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn due_group_posts(&self, limit: u32) -> Result<Vec<(WorkspaceId, GroupPost)>> {
        let rows = crate::sql_owned(format!(
            "SELECT {COLUMNS}, workspace_id FROM group_posts WHERE state = 'queued' ORDER BY id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| Ok((WorkspaceId(r.try_get(13).map_err(db_err)?), post(r)?))).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_group_post(
        &self,
        ws: WorkspaceId,
        id: i64,
        outcome: std::result::Result<String, String>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let (state, msgid, error) = match outcome {
            Ok(msgid) => ("sent", Some(msgid), None),
            Err(e) => ("failed", None, Some(e)),
        };
        let n = sql("UPDATE group_posts SET state = $3, msgid = $4, error = $5, sent_at = $6
             WHERE workspace_id = $1 AND id = $2 AND state = 'queued'")
        .bind(ws.0)
        .bind(id)
        .bind(state)
        .bind(msgid)
        .bind(error)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }
}
