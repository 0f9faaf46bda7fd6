//! Each person's latest predictions.

use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{Result, StoreError, StoredScores};
use rusqlite::{OptionalExtension, params};

use crate::Cached;
use crate::codec::{ms, time};
use crate::{SqliteStore, db_err};

impl SqliteStore {
    pub(crate) async fn put_scores_impl(&self, ws: WorkspaceId, scores: Vec<StoredScores>) -> Result<()> {
        self.write(move |tx| {
            tx.cached_execute("DELETE FROM person_scores WHERE workspace_id = ?1", [ws.0]).map_err(db_err)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO person_scores (workspace_id, person_id, as_of, scores) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_err)?;
            for s in &scores {
                let json = serde_json::to_string(&s.scores).map_err(StoreError::backend)?;
                insert.execute(params![ws.0, s.person.0, ms(s.as_of), json]).map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn person_scores_impl(&self, ws: WorkspaceId, person: PersonId) -> Result<Option<StoredScores>> {
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
}
