//! Who may call: write keys for ingestion, the admin token for the REST API.

mod admin;
mod write_key;

pub use admin::AdminAuth;
pub use write_key::{WriteKeyCache, basic_username};
