//! Consent (opt-outs by channel) and mini-program subscriptions.

use chrono::{DateTime, Utc};
use rekindle_core::outreach::ChannelKind;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Consent, Result, StoreError};
use rusqlite::{Connection, params};

use crate::Cached;
use crate::codec::ms;
use crate::{SqliteStore, db_err, outbox};

fn record_consent(
    c: &Connection,
    ws: WorkspaceId,
    person: PersonId,
    channel: ChannelKind,
    allowed: bool,
    source: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    // The latest statement wins, whatever order they are recorded in.
    c.cached_execute(
        "INSERT INTO consent (workspace_id, person_id, channel, allowed, source, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (workspace_id, person_id, channel) DO UPDATE
         SET allowed = excluded.allowed, source = excluded.source, at = excluded.at WHERE excluded.at >= consent.at",
        params![ws.0, person.0, channel.as_str(), allowed, source, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

fn opt_outs(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT channel FROM consent WHERE workspace_id = ?1 AND person_id = ?2 AND allowed = 0 ORDER BY channel",
        )
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, person.0], |r| r.get::<_, String>(0)).map_err(db_err)?;
    rows.map(|r| r.map_err(db_err)?.parse::<ChannelKind>().map_err(|e| StoreError::backend(std::io::Error::other(e))))
        .collect()
}

fn record_subscription(
    c: &Connection,
    ws: WorkspaceId,
    person: PersonId,
    template: &str,
    key: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    c.cached_execute(
        "INSERT INTO subscriptions (workspace_id, event_key, person_id, template, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        params![ws.0, key, person.0, template, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

fn credits(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT DISTINCT template FROM subscriptions WHERE workspace_id = ?1 AND person_id = ?2 ORDER BY 1",
        )
        .map_err(db_err)?;
    let templates: Vec<String> = stmt
        .query_map(params![ws.0, person.0], |r| r.get(0))
        .map_err(db_err)?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err)?;
    templates
        .into_iter()
        .map(|t| {
            let n = outbox::credits(c, ws, person, Some(&t))?;
            Ok((t, n))
        })
        .collect()
}

#[async_trait::async_trait]
impl Consent for SqliteStore {
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
        let source = source.to_owned();
        self.write(move |tx| record_consent(tx, ws, person, channel, allowed, &source, at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn opted_out(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>> {
        self.read(move |c| opt_outs(c, ws, person)).await
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
        let (t, k) = (template.to_owned(), event_key.to_owned());
        self.write(move |tx| record_subscription(tx, ws, person, &t, &k, at)).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn subscription_credits(&self, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>> {
        self.read(move |c| credits(c, ws, person)).await
    }
}
