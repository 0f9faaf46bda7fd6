//! Word of appends between nodes: every append that stored something notifies a channel on
//! commit, and each node listens on it, so its journey runner, points and live rooms wake for
//! events ingested through the other nodes as for its own (LISTEN/NOTIFY, no broker of ours).

use std::sync::Weak;
use std::time::Duration;

use sqlx_core::error::Error;
use sqlx_postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};

const CHANNEL: &str = "rekindle_appended";
/// The payload is the schema and the notifying store's nonce (`$1`): two deployments (or test
/// runs) in one database do not wake each other, and a node is not woken by its own appends,
/// which wake it already. (A channel's name is at most 63 bytes, too few to hold a schema's.)
pub(crate) const NOTIFY_APPENDED: &str = "SELECT pg_notify('rekindle_appended', current_schema() || '/' || $1)";

/// How often the listener looks whether its store is still open.
const LOOK: Duration = Duration::from_secs(1);

/// Listen on a connection of its own while `store` lives, calling `woken` for each
/// notification, and once more after a lost connection for what was missed meanwhile.
pub(crate) fn listen<T: Send + Sync + 'static>(
    options: PgConnectOptions,
    nonce: String,
    store: Weak<T>,
    woken: Box<dyn Fn() + Send + Sync>,
) {
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(options);
    // Closing the pool ends a wait for a notification (sqlx's close event), so the listener
    // stops with its store.
    let closing = pool.clone();
    tokio::spawn(async move {
        while store.strong_count() > 0 {
            tokio::time::sleep(LOOK).await;
        }
        closing.close().await;
    });
    tokio::spawn(async move {
        while !pool.is_closed() {
            match heard(&pool, &nonce, &*woken).await {
                Err(Error::PoolClosed) => return,
                Err(e) => tracing::warn!(error = %e, "listening for other nodes' appends failed; again in a second"),
                Ok(()) => {}
            }
            tokio::time::sleep(LOOK).await;
            woken();
        }
    });
}

async fn heard(pool: &PgPool, nonce: &str, woken: &(dyn Fn() + Send + Sync)) -> Result<(), Error> {
    let schema: String = sqlx_core::query_scalar::query_scalar("SELECT current_schema()").fetch_one(pool).await?;
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        match listener.try_recv().await? {
            Some(n) => match n.payload().rsplit_once('/') {
                Some((s, from)) if s == schema && from != nonce => {}
                _ => continue,
            },
            // The connection was lost and made again: what was sent meanwhile is missed.
            None => tracing::debug!("listening again for other nodes' appends"),
        }
        woken();
    }
}
