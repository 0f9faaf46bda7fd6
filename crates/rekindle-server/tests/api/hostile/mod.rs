//! The hostile-input suite: what a hostile client, operator or crowd of sockets sends, case
//! by case, with the answer each must get. Every case runs against the real server on a random
//! port (docs/testing.md counts them). One module per area of attack.

mod accounts;
mod connections;
mod console;
mod erasure;
mod errors;
mod groups;
mod identity;
mod live;
mod loyalty;
mod masking;
mod money;
mod rules;
mod service;
mod subscriptions;
