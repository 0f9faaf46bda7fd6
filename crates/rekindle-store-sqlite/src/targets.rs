//! Team targets.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::targets::TeamTarget;
use rekindle_store::{Result, StoreError, Targets};
use rusqlite::params;

use crate::codec::ms;
use crate::{SqliteStore, db_err};

#[async_trait::async_trait]
impl Targets for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn team_targets(&self, ws: WorkspaceId) -> Result<Vec<TeamTarget>> {
        let rows: Vec<(String, String, f64)> = self
            .read(move |c| {
                let mut stmt = c
                    .prepare_cached("SELECT team, kpi, target FROM team_targets WHERE workspace_id = ?1")
                    .map_err(db_err)?;
                let rows = stmt.query_map([ws.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(db_err)?;
                rows.collect::<rusqlite::Result<_>>().map_err(db_err)
            })
            .await?;
        decode(rows)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_team_targets(&self, ws: WorkspaceId, targets: &[TeamTarget], at: DateTime<Utc>) -> Result<()> {
        let targets = targets.to_vec();
        self.write(move |tx| {
            tx.execute("DELETE FROM team_targets WHERE workspace_id = ?1", [ws.0]).map_err(db_err)?;
            for t in &targets {
                tx.execute(
                    "INSERT INTO team_targets (workspace_id, team, kpi, target, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![ws.0, t.team.as_str(), t.kpi.as_str(), t.target, ms(at)],
                )
                .map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }
}

/// Rows to targets, by team and rate.
fn decode(rows: Vec<(String, String, f64)>) -> Result<Vec<TeamTarget>> {
    let mut out = rows
        .into_iter()
        .map(|(team, kpi, target)| {
            TeamTarget::from_names(&team, &kpi, target).map_err(|e| StoreError::backend(std::io::Error::other(e)))
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|t| (t.team, t.kpi));
    Ok(out)
}
