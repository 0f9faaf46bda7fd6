//! Referral codes. Same answers as SQLite's referrals.rs.

use chrono::{DateTime, Utc};
use rekindle_core::ids::Uuid;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{ReferralCodes, Result, StoreError};
use sqlx_core::row::Row;

use crate::{PostgresStore, db_err, sql};

impl PostgresStore {
    async fn held_code(&self, ws: WorkspaceId, person: PersonId) -> Result<Option<String>> {
        let row = sql("SELECT code FROM referral_codes WHERE workspace_id = $1 AND person_id = $2")
            .bind(ws.0)
            .bind(person.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| r.try_get(0)).transpose().map_err(db_err)
    }
}

#[async_trait::async_trait]
impl ReferralCodes for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn referral_code(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        candidates: &[String],
        at: DateTime<Utc>,
    ) -> Result<String> {
        if let Some(code) = self.held_code(ws, person).await? {
            return Ok(code);
        }
        for code in candidates {
            let inserted = sql("INSERT INTO referral_codes (workspace_id, code, person_id, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(ws.0)
            .bind(code)
            .bind(person.0)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
            if inserted == 1 {
                return Ok(code.clone());
            }
            // Either the code is someone else's, or a request beside this one gave the person one.
            if let Some(code) = self.held_code(ws, person).await? {
                return Ok(code);
            }
        }
        Err(StoreError::AlreadyExists("every referral code offered is taken".into()))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn referral_code_owner(&self, ws: WorkspaceId, code: &str) -> Result<Option<PersonId>> {
        let row = sql("SELECT person_id FROM referral_codes WHERE workspace_id = $1 AND code = $2")
            .bind(ws.0)
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| r.try_get::<Uuid, _>(0).map(PersonId)).transpose().map_err(db_err)
    }
}
