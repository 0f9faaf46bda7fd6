//! Who may call: write keys for ingestion; operators (console sessions, API tokens) and the
//! configured admin token for the REST API, each with a role per workspace.

mod access;
mod caller;
pub mod limiter;
mod operators;
pub mod password;
mod write_key;

pub use access::{Access, Can, Permit, SETTLE_WAIT, perm};
pub use caller::{
    CSRF_HEADER, Caller, ClientIp, Principal, SESSION_COOKIE, client_ip, constant_time_eq, cookie,
    record_account_action,
};
pub use operators::add_operator;
pub use write_key::{WriteKeyCache, basic_username};

/// Make an API token for a user; returns the secret (shown once) and the stored token.
pub async fn create_api_token(
    store: &dyn rekindle_store::Store,
    user_id: rekindle_core::UserId,
    name: &str,
) -> rekindle_store::Result<(String, rekindle_store::ApiToken)> {
    let token = rekindle_ingest::write_keys::random_token("rkt_");
    let hash = rekindle_core::secret::hash(&token);
    let info = store.create_api_token(user_id, name, &hash, &rekindle_core::secret::prefix(&token)).await?;
    Ok((token, info))
}
