//! Consent and mini-program subscriptions. Same answers as SQLite's ledgers.rs.

use chrono::{DateTime, Utc};
use rekindle_core::outreach::ChannelKind;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::Result;
use sqlx_core::error::Error;
use sqlx_core::row::Row;

use crate::codec::parse;
use crate::outbox::NOT_COUNTED;
use crate::{PostgresStore, db_err, sql, sql_owned};

#[async_trait::async_trait]
impl rekindle_store::Consent for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn set_consent(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        channel: ChannelKind,
        allowed: bool,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        // The latest statement wins, whatever order they are recorded in, on whichever node.
        sql("INSERT INTO consent (workspace_id, person_id, channel, allowed, source, at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (workspace_id, person_id, channel) DO UPDATE
             SET allowed = EXCLUDED.allowed, source = EXCLUDED.source, at = EXCLUDED.at WHERE EXCLUDED.at >= consent.at")
        .bind(ws.0)
        .bind(person.0)
        .bind(channel.as_str())
        .bind(allowed)
        .bind(source)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn opted_out(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>> {
        let rows = sql("SELECT channel FROM consent WHERE workspace_id = $1 AND person_id = $2 AND NOT allowed
                        ORDER BY channel COLLATE \"C\"")
        .bind(ws.0)
        .bind(person.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| parse::<ChannelKind>(r.try_get(0)?)).collect::<Result<_, _>>().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn add_subscription(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        template: &str,
        event_key: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sql("INSERT INTO subscriptions (workspace_id, event_key, person_id, template, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING")
        .bind(ws.0)
        .bind(event_key)
        .bind(person.0)
        .bind(template)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn subscription_credits(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>> {
        // Every template at once, from one snapshot; the same subtraction as the outbox's check.
        let rows = sql_owned(format!(
            "SELECT t.template,
                    (SELECT COUNT(*) FROM subscriptions s
                     WHERE s.workspace_id = $1 AND s.person_id = $2 AND s.template = t.template)
                  - (SELECT COUNT(*) FROM outbox o
                     WHERE o.workspace_id = $1 AND o.person_id = $2 AND o.channel = 'miniprogram'
                     AND o.template = t.template AND o.state NOT IN {NOT_COUNTED})
             FROM (SELECT DISTINCT template FROM subscriptions WHERE workspace_id = $1 AND person_id = $2) AS t
             ORDER BY t.template COLLATE \"C\""
        ))
        .bind(ws.0)
        .bind(person.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, Error>>().map_err(db_err)
    }
}
