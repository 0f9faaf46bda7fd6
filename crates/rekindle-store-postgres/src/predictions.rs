//! Each person's latest predictions; written by column arrays, a chunk per statement.

use rekindle_core::ids::Uuid;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Result, StoreError, StoredFit, StoredScores};
use sqlx_core::row::Row;

use crate::{PostgresStore, db_err, sql};

/// Rows per INSERT: keeps each statement's arrays a few megabytes.
const CHUNK: usize = 10_000;

#[async_trait::async_trait]
impl rekindle_store::Predictions for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_scores(&self, ws: WorkspaceId, scores: &[StoredScores]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        self.seat.fence(&mut tx, ws).await?;
        sql("DELETE FROM person_scores WHERE workspace_id = $1").bind(ws.0).execute(&mut *tx).await.map_err(db_err)?;
        for chunk in scores.chunks(CHUNK) {
            let people: Vec<Uuid> = chunk.iter().map(|s| s.person.0).collect();
            let times: Vec<chrono::DateTime<chrono::Utc>> = chunk.iter().map(|s| s.as_of).collect();
            let json = chunk
                .iter()
                .map(|s| serde_json::to_string(&s.scores).map_err(StoreError::backend))
                .collect::<Result<Vec<String>>>()?;
            sql("INSERT INTO person_scores (workspace_id, person_id, as_of, scores)
                 SELECT $1, p, t, s::jsonb FROM UNNEST($2::uuid[], $3::timestamptz[], $4::text[]) AS u(p, t, s)
                 ON CONFLICT (workspace_id, person_id) DO UPDATE SET as_of = excluded.as_of, scores = excluded.scores")
            .bind(ws.0)
            .bind(people)
            .bind(times)
            .bind(json)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_scores(&self, ws: WorkspaceId, person: PersonId) -> Result<Option<StoredScores>> {
        let row = sql("SELECT as_of, scores::text FROM person_scores WHERE workspace_id = $1 AND person_id = $2")
            .bind(ws.0)
            .bind(person.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            let json: String = r.try_get(1).map_err(db_err)?;
            Ok(StoredScores {
                person,
                as_of: r.try_get(0).map_err(db_err)?,
                scores: serde_json::from_str(&json).map_err(StoreError::backend)?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_fit(&self, ws: WorkspaceId, fit: &StoredFit) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        self.seat.fence(&mut tx, ws).await?;
        sql("INSERT INTO model_fits (workspace_id, as_of, fit) VALUES ($1, $2, $3::jsonb)
             ON CONFLICT (workspace_id) DO UPDATE SET as_of = excluded.as_of, fit = excluded.fit")
        .bind(ws.0)
        .bind(fit.as_of)
        .bind(fit.fit.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn latest_fit(&self, ws: WorkspaceId) -> Result<Option<StoredFit>> {
        let row = sql("SELECT as_of, fit::text FROM model_fits WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            let json: String = r.try_get(1).map_err(db_err)?;
            Ok(StoredFit {
                as_of: r.try_get(0).map_err(db_err)?,
                fit: serde_json::from_str(&json).map_err(StoreError::backend)?,
            })
        })
        .transpose()
    }
}
