//! Referral codes. Same answers as PostgreSQL's referrals.rs.

use chrono::{DateTime, Utc};
use rekindle_core::ids::Uuid;
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{ReferralCodes, Result, StoreError};
use rusqlite::{OptionalExtension, params};

use crate::codec::ms;
use crate::{Cached, SqliteStore, db_err};

#[async_trait::async_trait]
impl ReferralCodes for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn referral_code(
        &self,
        ws: WorkspaceId,
        person: PersonId,
        candidates: &[String],
        at: DateTime<Utc>,
    ) -> Result<String> {
        let candidates = candidates.to_vec();
        self.write(move |tx| {
            let held: Option<String> = tx
                .cached_row(
                    "SELECT code FROM referral_codes WHERE workspace_id = ?1 AND person_id = ?2",
                    params![ws.0, person.0],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)?;
            if let Some(code) = held {
                return Ok(code);
            }
            for code in candidates {
                // The person holds none (read above, in this transaction): a conflict is the code.
                let n = tx
                    .cached_execute(
                        "INSERT OR IGNORE INTO referral_codes (workspace_id, code, person_id, created_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![ws.0, code, person.0, ms(at)],
                    )
                    .map_err(db_err)?;
                if n == 1 {
                    return Ok(code);
                }
            }
            Err(StoreError::AlreadyExists("every referral code offered is taken".into()))
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn referral_code_owner(&self, ws: WorkspaceId, code: &str) -> Result<Option<PersonId>> {
        let code = code.to_owned();
        self.read(move |c| {
            c.cached_row(
                "SELECT person_id FROM referral_codes WHERE workspace_id = ?1 AND code = ?2",
                params![ws.0, code],
                |r| r.get::<_, Uuid>(0),
            )
            .optional()
            .map(|id| id.map(PersonId))
            .map_err(db_err)
        })
        .await
    }
}
