//! Definitions kept whole as JSON by name: message templates and coupon definitions.

use rekindle_core::WorkspaceId;
use rekindle_store::Result;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::PgConnection;

use crate::{db_err, sql_owned};

/// The tables kept whole as JSON by name. A closed set, so the name is safe to splice into SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Named {
    Templates,
    Coupons,
}

impl Named {
    fn table(self) -> &'static str {
        match self {
            Self::Templates => "message_templates",
            Self::Coupons => "coupon_definitions",
        }
    }
}

pub(crate) async fn put_named<T: Serialize + Sync>(
    c: &mut PgConnection,
    what: Named,
    ws: WorkspaceId,
    name: &str,
    body: &T,
) -> Result<()> {
    sql_owned(format!(
        "INSERT INTO {} (workspace_id, name, body) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id, name) DO UPDATE SET body = EXCLUDED.body",
        what.table()
    ))
    .bind(ws.0)
    .bind(name)
    .bind(Json(body))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn named<T: DeserializeOwned>(c: &mut PgConnection, what: Named, ws: WorkspaceId) -> Result<Vec<T>> {
    // Byte order, as SQLite sorts, whatever the database's collation.
    let rows =
        sql_owned(format!("SELECT body FROM {} WHERE workspace_id = $1 ORDER BY name COLLATE \"C\"", what.table()))
            .bind(ws.0)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
    rows.iter().map(|r| r.try_get::<Json<T>, _>(0).map(|Json(t)| t)).collect::<Result<_, _>>().map_err(db_err)
}
