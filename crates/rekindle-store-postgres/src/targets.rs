//! Team targets. Same answers as SQLite's.

use chrono::{DateTime, Utc};
use rekindle_core::WorkspaceId;
use rekindle_core::targets::TeamTarget;
use rekindle_store::{Result, StoreError, Targets};
use sqlx_core::row::Row;

use crate::{PostgresStore, db_err, sql};

#[async_trait::async_trait]
impl Targets for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn team_targets(&self, ws: WorkspaceId) -> Result<Vec<TeamTarget>> {
        let rows = sql("SELECT team, kpi, target FROM team_targets WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (team, kpi): (String, String) = (r.try_get(0).map_err(db_err)?, r.try_get(1).map_err(db_err)?);
            let target = TeamTarget::from_names(&team, &kpi, r.try_get(2).map_err(db_err)?);
            out.push(target.map_err(|e| StoreError::backend(std::io::Error::other(e)))?);
        }
        out.sort_by_key(|t| (t.team, t.kpi));
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_team_targets(&self, ws: WorkspaceId, targets: &[TeamTarget], at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sql("DELETE FROM team_targets WHERE workspace_id = $1").bind(ws.0).execute(&mut *tx).await.map_err(db_err)?;
        for t in targets {
            sql("INSERT INTO team_targets (workspace_id, team, kpi, target, updated_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(ws.0)
                .bind(t.team.as_str())
                .bind(t.kpi.as_str())
                .bind(t.target)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}
