//! Tracked links and the clicks behind a journey's readout. Same answers as SQLite's
//! tracked_links.rs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rekindle_core::ids::Uuid;
use rekindle_core::outreach::ChannelKind;
use rekindle_core::{JourneyId, PersonId, WorkspaceId, events};
use rekindle_store::{ClickCounts, Result, StoreError, TrackedLink, TrackedLinks};
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;

use crate::codec::parse;
use crate::{PostgresStore, db_err, done, sql};

fn link_row(r: &PgRow) -> Result<(WorkspaceId, TrackedLink), sqlx_core::error::Error> {
    let link = TrackedLink {
        code: r.try_get(1)?,
        send_key: r.try_get(2)?,
        person: PersonId(r.try_get::<Uuid, _>(3)?),
        journey: r.try_get::<Option<i64>, _>(4)?.map(JourneyId),
        step: r.try_get(5)?,
        variant: r.try_get(6)?,
        channel: parse::<ChannelKind>(r.try_get(7)?)?,
        url: r.try_get(8)?,
        created_at: r.try_get::<DateTime<Utc>, _>(9)?,
    };
    Ok((WorkspaceId(r.try_get(0)?), link))
}

/// `(step, people, events)` rows.
fn count_rows(rows: &[PgRow]) -> Result<Vec<(Option<String>, i64, i64)>> {
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx_core::error::Error>>()
        .map_err(db_err)
}

#[async_trait::async_trait]
impl TrackedLinks for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn save_links(&self, ws: WorkspaceId, links: &[TrackedLink]) -> Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        for l in links {
            let inserted = sql("INSERT INTO tracked_links
                    (code, workspace_id, send_key, person_id, journey_id, step, variant, channel, url, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO NOTHING")
            .bind(&l.code)
            .bind(ws.0)
            .bind(&l.send_key)
            .bind(l.person.0)
            .bind(l.journey.map(|j| j.0))
            .bind(&l.step)
            .bind(&l.variant)
            .bind(l.channel.as_str())
            .bind(&l.url)
            .bind(l.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if inserted == 1 {
                continue;
            }
            // Saved before: the same link again (a retried send), or someone else's code.
            let held = sql("SELECT workspace_id, send_key, url FROM tracked_links WHERE code = $1")
                .bind(&l.code)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            let held: (i64, String, String) =
                (held.try_get(0).map_err(db_err)?, held.try_get(1).map_err(db_err)?, held.try_get(2).map_err(db_err)?);
            if held != (ws.0, l.send_key.clone(), l.url.clone()) {
                return Err(StoreError::AlreadyExists(format!("tracked link {}", l.code)));
            }
        }
        done(tx, ()).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn link_by_code(&self, code: &str) -> Result<Option<(WorkspaceId, TrackedLink)>> {
        let row =
            sql("SELECT workspace_id, code, send_key, person_id, journey_id, step, variant, channel, url, created_at
                       FROM tracked_links WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(link_row).transpose().map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn journey_clicks(&self, ws: WorkspaceId, journey: JourneyId) -> Result<Vec<ClickCounts>> {
        // People reached, as they are now: the journey as a whole, then by step.
        let reached = |q: &'static str| async move {
            let rows = sql(q).bind(ws.0).bind(journey.0).fetch_all(&self.pool).await.map_err(db_err)?;
            count_rows(&rows)
        };
        let total = reached(
            "SELECT NULL::TEXT, COUNT(DISTINCT COALESCE(p.merged_into, x.person_id)), 0::BIGINT
             FROM outbox x LEFT JOIN people p ON p.id = x.person_id
             WHERE x.workspace_id = $1 AND x.journey_id = $2 AND x.state IN ('sent', 'delivered')",
        )
        .await?;
        let by_step = reached(
            "SELECT x.step, COUNT(DISTINCT COALESCE(p.merged_into, x.person_id)), 0::BIGINT
             FROM outbox x LEFT JOIN people p ON p.id = x.person_id
             WHERE x.workspace_id = $1 AND x.journey_id = $2 AND x.state IN ('sent', 'delivered')
               AND x.step IS NOT NULL
             GROUP BY x.step",
        )
        .await?;
        // Clicks: `Message Clicked` naming the journey (`$2`, as text).
        let clicked = |q: &'static str| async move {
            let rows = sql(q)
                .bind(ws.0)
                .bind(journey.0.to_string())
                .bind(events::MESSAGE_CLICKED)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
            count_rows(&rows)
        };
        let clicks = clicked(
            "SELECT NULL::TEXT, COUNT(DISTINCT COALESCE(p.merged_into, e.person_id)), COUNT(*)
             FROM events e LEFT JOIN people p ON p.id = e.person_id
             WHERE e.workspace_id = $1 AND e.name = $3 AND e.payload->'properties'->>'journey_id' = $2",
        )
        .await?;
        let clicks_by_step = clicked(
            "SELECT e.payload->'properties'->>'step', COUNT(DISTINCT COALESCE(p.merged_into, e.person_id)), COUNT(*)
             FROM events e LEFT JOIN people p ON p.id = e.person_id
             WHERE e.workspace_id = $1 AND e.name = $3 AND e.payload->'properties'->>'journey_id' = $2
               AND e.payload->'properties'->>'step' IS NOT NULL
             GROUP BY 1",
        )
        .await?;
        let mut by: BTreeMap<Option<String>, ClickCounts> = BTreeMap::new();
        for (step, people, _) in total.into_iter().chain(by_step) {
            by.entry(step.clone()).or_insert_with(|| ClickCounts { step, ..ClickCounts::default() }).reached = people;
        }
        for (step, people, n) in clicks.into_iter().chain(clicks_by_step) {
            let row = by.entry(step.clone()).or_insert_with(|| ClickCounts { step, ..ClickCounts::default() });
            (row.clickers, row.clicks) = (people, n);
        }
        // The journey as a whole is always there, first (`None` sorts before every step).
        by.entry(None).or_default();
        Ok(by.into_values().collect())
    }
}
