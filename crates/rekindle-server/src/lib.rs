//! Rekindle's HTTP server.
//!
//! - [`config`]: layered configuration.
//! - [`startup`]: [`App::with_store`] starts the services over a store and binds the listener;
//!   tests build it on port 0 with a temporary data dir.
//! - [`routes`]: one module per URL area — Segment ingestion under `/v1`, the REST API under
//!   `/api/v1`, operations (`/healthz`, `/readyz`, `/metrics`, `/api/openapi.json`).
//! - [`error`]: every error code, its status and its JSON body, in one table.
//! - [`serve`]: the accept loop: deadlines for idle, slow and stalled connections, and a cap
//!   on how many are open.

pub mod auth;
pub mod config;
pub mod error;
pub mod routes;
pub mod serve;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Config;
pub use startup::App;
