//! Posts to customer groups. Same answers as PostgreSQL's group_posts.rs; here the ceiling
//! holds because every write transaction runs alone (BEGIN IMMEDIATE on the one writer).

use chrono::{DateTime, NaiveDate, Utc};
use rekindle_core::WorkspaceId;
use rekindle_store::{GroupPost, GroupPostState, GroupPosts, GroupQueued, NewGroupPost, Result, StoreError};
use rusqlite::{OptionalExtension, Row, params};

use crate::codec::{ms, time};
use crate::{Cached, SqliteStore, db_err};

const COLUMNS: &str =
    "id, send_key, group_id, day, promotional, sender, text, attachments, state, msgid, error, created_at, sent_at";

fn post(r: &Row) -> rusqlite::Result<GroupPost> {
    post_at(r, 0)
}

#[async_trait::async_trait]
impl GroupPosts for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn queue_group_post(&self, ws: WorkspaceId, p: &NewGroupPost, ceiling: u32) -> Result<GroupQueued> {
        let p = p.clone();
        self.write(move |tx| {
            let again: Option<i64> = tx
                .cached_row(
                    "SELECT id FROM group_posts WHERE workspace_id = ?1 AND send_key = ?2",
                    params![ws.0, p.send_key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)?;
            if let Some(id) = again {
                return Ok(GroupQueued::Again(id));
            }
            let day = p.day.format("%Y-%m-%d").to_string();
            if p.promotional {
                let taken: i64 = tx
                    .cached_row(
                        "SELECT COUNT(*) FROM group_posts WHERE workspace_id = ?1 AND group_id = ?2 AND day = ?3
                         AND promotional = 1 AND state != 'failed'",
                        params![ws.0, p.group_id, day],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                if taken >= i64::from(ceiling) {
                    return Ok(GroupQueued::Capped);
                }
            }
            let attachments = serde_json::to_string(&p.attachments).map_err(StoreError::backend)?;
            tx.cached_execute(
                "INSERT INTO group_posts (workspace_id, send_key, group_id, day, promotional, sender, text, attachments,
                 state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9)",
                params![ws.0, p.send_key, p.group_id, day, p.promotional, p.sender, p.text, attachments, ms(p.at)],
            )
            .map_err(db_err)?;
            Ok(GroupQueued::Queued(tx.last_insert_rowid()))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn group_posts(&self, ws: WorkspaceId, group: Option<&str>, limit: u32) -> Result<Vec<GroupPost>> {
        let group = group.map(str::to_owned);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM group_posts WHERE workspace_id = ?1 AND (?2 IS NULL OR group_id = ?2)
                     ORDER BY id DESC LIMIT ?3"
                ))
                .map_err(db_err)?;
            let rows = stmt.query_map(params![ws.0, group, limit], post).map_err(db_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn due_group_posts(&self, limit: u32) -> Result<Vec<(WorkspaceId, GroupPost)>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT workspace_id, {COLUMNS} FROM group_posts WHERE state = 'queued' ORDER BY id LIMIT ?1"
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![limit], |r| {
                    let ws = WorkspaceId(r.get(0)?);
                    // The post's columns follow the workspace's.
                    Ok((ws, post_at(r, 1)?))
                })
                .map_err(db_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db_err)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn record_group_post(
        &self,
        ws: WorkspaceId,
        id: i64,
        outcome: std::result::Result<String, String>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        self.write(move |tx| {
            let (state, msgid, error) = match outcome {
                Ok(msgid) => ("sent", Some(msgid), None),
                Err(e) => ("failed", None, Some(e)),
            };
            let n = tx
                .cached_execute(
                    "UPDATE group_posts SET state = ?3, msgid = ?4, error = ?5, sent_at = ?6
                     WHERE workspace_id = ?1 AND id = ?2 AND state = 'queued'",
                    params![ws.0, id, state, msgid, error, ms(at)],
                )
                .map_err(db_err)?;
            Ok(n == 1)
        })
        .await
    }
}

/// A post read from its columns, the first at `offset`.
fn post_at(r: &Row, offset: usize) -> rusqlite::Result<GroupPost> {
    let day: String = r.get(offset + 3)?;
    let attachments: String = r.get(offset + 7)?;
    let state: String = r.get(offset + 8)?;
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.to_owned().into())
    };
    Ok(GroupPost {
        id: r.get(offset)?,
        send_key: r.get(offset + 1)?,
        group_id: r.get(offset + 2)?,
        day: NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| bad(offset + 3, "day"))?,
        promotional: r.get(offset + 4)?,
        sender: r.get(offset + 5)?,
        text: r.get(offset + 6)?,
        attachments: serde_json::from_str(&attachments).map_err(|_| bad(offset + 7, "attachments"))?,
        state: GroupPostState::parse(&state).ok_or_else(|| bad(offset + 8, "state"))?,
        msgid: r.get(offset + 9)?,
        error: r.get(offset + 10)?,
        created_at: time(r.get(offset + 11)?),
        sent_at: r.get::<_, Option<i64>>(offset + 12)?.map(time),
    })
}
