//! Leadership of a workspace through PostgreSQL alone, no coordinator of our own: a
//! session-level advisory lock per workspace, held on a connection this node keeps for it (not
//! one of the pool's), and a term in `leader_terms` that each new holder raises.
//!
//! A node killed with kill -9 loses its connection; PostgreSQL ends the session and frees the
//! lock at once, and the next node that asks takes over. A node cut off silently is noticed by
//! the server's keepalives (set on the connection) within about fifteen seconds. A leader that
//! was only paused keeps its session and its lock; one whose session ended while it was paused
//! is fenced: the refresh's writes check the term inside their transaction ([`Seat::fence`]).

use std::collections::HashMap;
use std::time::Duration;

use rekindle_core::WorkspaceId;
use rekindle_store::{Leader, Result, StoreError, Term};
use sqlx_core::connection::Connection;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnectOptions, PgConnection};

use crate::{PostgresStore, db_err, sql};

/// The first half of leadership locks' two-key advisory ids, apart from the workspace lock's
/// class (`lock.rs`) and the journey locks' classes (`journey_lock.rs`).
const LEADER_LOCK_CLASS: i32 = 0x524b_0020;

/// The lock's second key names the schema too: advisory locks are the database's, and two
/// deployments (or two test runs) may keep their tables in two schemas of one database. Two
/// workspaces whose keys collide are led by one node together.
const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1, hashtext(current_schema() || '/' || $2::text))";
const UNLOCK: &str = "SELECT pg_advisory_unlock($1, hashtext(current_schema() || '/' || $2::text))";

/// How long asking about leadership may take before the connection is taken as lost.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// This node's seat at the table of leaders.
pub(crate) struct Seat {
    options: PgConnectOptions,
    node: String,
    /// This store's own name among the nodes' notifications (`appended.rs`): unique even for
    /// two stores of one process.
    nonce: String,
    conn: tokio::sync::Mutex<Option<PgConnection>>,
    leases: std::sync::Mutex<HashMap<WorkspaceId, Lease>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lease {
    Held(Term),
    /// Led once, then the session ended or another term began: writes are refused until this
    /// node leads again.
    Lost,
}

impl Seat {
    pub(crate) fn new(options: PgConnectOptions) -> Self {
        let node = rekindle_store::node_name();
        let nonce = rekindle_core::ids::Uuid::now_v7().simple().to_string();
        Self { options, node, nonce, conn: tokio::sync::Mutex::default(), leases: std::sync::Mutex::default() }
    }

    pub(crate) fn nonce(&self) -> &str {
        &self.nonce
    }

    /// How this node connects, for connections of its own.
    pub(crate) fn options(&self) -> &PgConnectOptions {
        &self.options
    }

    fn lease(&self, ws: WorkspaceId) -> Option<Lease> {
        self.leases.lock().unwrap_or_else(|p| p.into_inner()).get(&ws).copied()
    }

    fn set(&self, ws: WorkspaceId, lease: Lease) {
        self.leases.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, lease);
    }

    /// Every lease held is gone with the session.
    fn lose_all(&self) {
        for lease in self.leases.lock().unwrap_or_else(|p| p.into_inner()).values_mut() {
            *lease = Lease::Lost;
        }
    }

    async fn lead(&self, ws: WorkspaceId) -> Result<Option<Term>> {
        let mut conn = self.conn.lock().await;
        let asked = tokio::time::timeout(ASK_TIMEOUT, async {
            if conn.is_none() {
                *conn = Some(self.connect().await?);
            }
            let c = conn.as_mut().expect("connected above");
            self.ask(c, ws).await
        })
        .await;
        let asked = match asked {
            Ok(answer) => answer.map_err(db_err),
            Err(_) => Err(StoreError::Backend(
                format!("asking whether this node leads {ws} took over {ASK_TIMEOUT:?}").into(),
            )),
        };
        if asked.is_err() {
            // The session may be gone, and with it every lock: start again from nothing.
            *conn = None;
            self.lose_all();
        }
        asked
    }

    async fn connect(&self) -> Result<PgConnection, sqlx_core::error::Error> {
        let mut c = PgConnection::connect_with(&self.options).await?;
        // The server's keepalives end the session of a client gone silent, freeing its locks.
        sql("SELECT set_config('tcp_keepalives_idle', '5', false), set_config('tcp_keepalives_interval', '2', false),
                    set_config('tcp_keepalives_count', '3', false), set_config('application_name', 'rekindle leader', false)")
        .execute(&mut c)
        .await?;
        Ok(c)
    }

    async fn ask(&self, c: &mut PgConnection, ws: WorkspaceId) -> Result<Option<Term>, sqlx_core::error::Error> {
        if let Some(Lease::Held(term)) = self.lease(ws) {
            // The lock lives as long as the session; a statement that answers proves it lives.
            let now: Option<i64> = sql("SELECT term FROM leader_terms WHERE workspace_id = $1")
                .bind(ws.0)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            if now == Some(term) {
                return Ok(Some(term));
            }
            // Someone raised the term under our lock: never by Rekindle; give it up.
            tracing::warn!(workspace = %ws, term, ?now, "the leadership term moved under this node's lock");
            sql(UNLOCK).bind(LEADER_LOCK_CLASS).bind(ws.0).execute(&mut *c).await?;
            self.set(ws, Lease::Lost);
            return Ok(None);
        }
        let got: bool = sql(TRY_LOCK).bind(LEADER_LOCK_CLASS).bind(ws.0).fetch_one(&mut *c).await?.try_get(0)?;
        if !got {
            if self.lease(ws).is_some() {
                self.set(ws, Lease::Lost);
            }
            return Ok(None);
        }
        let term: i64 = sql("INSERT INTO leader_terms (workspace_id, term, node, since) VALUES ($1, 1, $2, now())
                             ON CONFLICT (workspace_id) DO UPDATE
                             SET term = leader_terms.term + 1, node = excluded.node, since = excluded.since
                             RETURNING term")
        .bind(ws.0)
        .bind(&self.node)
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?;
        tracing::info!(workspace = %ws, term, node = %self.node, "leading the workspace");
        self.set(ws, Lease::Held(term));
        Ok(Some(term))
    }

    /// The fencing check, first in a transaction that writes what only the leader may: refused
    /// once this node has led `ws` and another node's term has begun. The row is read `FOR
    /// SHARE`, so a new leader's term begins only after this transaction ends.
    pub(crate) async fn fence(&self, tx: &mut PgConnection, ws: WorkspaceId) -> Result<()> {
        let term = match self.lease(ws) {
            None => return Ok(()),
            Some(Lease::Lost) => return Err(StoreError::Superseded(format!("workspace {ws}"))),
            Some(Lease::Held(term)) => term,
        };
        let now: Option<i64> = sql("SELECT term FROM leader_terms WHERE workspace_id = $1 FOR SHARE")
            .bind(ws.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(db_err)?;
        if now == Some(term) {
            return Ok(());
        }
        self.set(ws, Lease::Lost);
        Err(StoreError::Superseded(format!("workspace {ws}")))
    }
}

#[async_trait::async_trait]
impl rekindle_store::Leadership for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn lead(&self, ws: WorkspaceId) -> Result<Option<Term>> {
        self.seat.lead(ws).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(ws = ws.0))]
    async fn leader(&self, ws: WorkspaceId) -> Result<Option<Leader>> {
        let row = sql("SELECT node, term, since FROM leader_terms WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            Ok::<_, sqlx_core::error::Error>(Leader {
                node: r.try_get(0)?,
                term: r.try_get(1)?,
                since: Some(r.try_get(2)?),
            })
        })
        .transpose()
        .map_err(db_err)
    }

    fn node(&self) -> String {
        self.seat.node.clone()
    }
}
