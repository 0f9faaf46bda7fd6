//! Each person's latest predictions.

use rekindle_core::ids::Uuid;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Predictions, Result, StoreError, StoredFit, StoredScores};
use rusqlite::{OptionalExtension, params};

use crate::Cached;
use crate::codec::{ms, time};
use crate::{SqliteStore, db_err};

/// Scores written per transaction.
const SCORES_PER_WRITE: usize = 1000;

#[async_trait::async_trait]
impl Predictions for SqliteStore {
    /// Written in parts: a million people's scores in one transaction would hold the store's
    /// only writer for seconds, and every event behind it. Scores of an earlier moment (people
    /// no longer scored) are removed once all are in.
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_scores(&self, ws: WorkspaceId, scores: &[StoredScores]) -> Result<()> {
        let as_of = scores.iter().map(|s| ms(s.as_of)).max();
        let mut rest = scores.iter().cloned();
        loop {
            let part: Vec<StoredScores> = rest.by_ref().take(SCORES_PER_WRITE).collect();
            if part.is_empty() {
                break;
            }
            self.write(move |tx| {
                let mut upsert = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO person_scores (workspace_id, person_id, as_of, scores) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .map_err(db_err)?;
                for s in &part {
                    let json = serde_json::to_string(&s.scores).map_err(StoreError::backend)?;
                    upsert.execute(params![ws.0, s.person.0, ms(s.as_of), json]).map_err(db_err)?;
                }
                Ok(())
            })
            .await?;
        }
        // Found on a reader (a scan over everyone must not hold the writer), removed in parts.
        let threshold = as_of.unwrap_or(i64::MAX);
        let stale: Vec<Uuid> = self
            .read(move |c| {
                let mut stmt = c
                    .prepare("SELECT person_id FROM person_scores WHERE workspace_id = ?1 AND as_of < ?2")
                    .map_err(db_err)?;
                let rows = stmt.query_map(params![ws.0, threshold], |r| r.get(0)).map_err(db_err)?;
                rows.collect::<rusqlite::Result<Vec<Uuid>>>().map_err(db_err)
            })
            .await?;
        for part in stale.chunks(SCORES_PER_WRITE) {
            let part = part.to_vec();
            self.write(move |tx| {
                for person in &part {
                    tx.cached_execute(
                        "DELETE FROM person_scores WHERE workspace_id = ?1 AND person_id = ?2 AND as_of < ?3",
                        params![ws.0, person, threshold],
                    )
                    .map_err(db_err)?;
                }
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn person_scores(&self, ws: WorkspaceId, person: PersonId) -> Result<Option<StoredScores>> {
        self.read(move |c| {
            let row: Option<(i64, String)> = c
                .cached_row(
                    "SELECT as_of, scores FROM person_scores WHERE workspace_id = ?1 AND person_id = ?2",
                    params![ws.0, person.0],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_err)?;
            row.map(|(as_of, json)| {
                let scores = serde_json::from_str(&json).map_err(StoreError::backend)?;
                Ok(StoredScores { person, as_of: time(as_of), scores })
            })
            .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn put_fit(&self, ws: WorkspaceId, fit: &StoredFit) -> Result<()> {
        let (as_of, json) = (ms(fit.as_of), fit.fit.to_string());
        self.write(move |tx| {
            tx.cached_execute(
                "INSERT OR REPLACE INTO model_fits (workspace_id, as_of, fit) VALUES (?1, ?2, ?3)",
                params![ws.0, as_of, json],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn latest_fit(&self, ws: WorkspaceId) -> Result<Option<StoredFit>> {
        self.read(move |c| {
            let row: Option<(i64, String)> = c
                .cached_row("SELECT as_of, fit FROM model_fits WHERE workspace_id = ?1", params![ws.0], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(db_err)?;
            row.map(|(as_of, json)| {
                Ok(StoredFit { as_of: time(as_of), fit: serde_json::from_str(&json).map_err(StoreError::backend)? })
            })
            .transpose()
        })
        .await
    }
}
