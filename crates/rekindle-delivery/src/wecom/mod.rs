//! WeCom (企业微信) customer contact.
//!
//! A company cannot message a customer directly: it creates a mass-send task
//! (`externalcontact/add_msg_template`) that the staff member confirms in WeCom, so a send ends
//! [`Receipt::awaiting_confirmation`](crate::Receipt) and [`WecomClient::mass_send_state`] tells
//! later whether it went out. The one exception is the welcome message, sent within 20 seconds
//! of the "customer added" callback with the `welcome_code` it carries.
//!
//! 微信客服 (WeChat Customer Service) conversations come the other way: a `kf_msg_or_event`
//! callback says messages are waiting, and [`WecomClient::kf_sync_msg`] pulls them.
//!
//! - [`WecomClient`]: the API calls.
//! - [`callback`]: the callback URL's signature and AES crypto, the contact events and the
//!   微信客服 notice.
//! - [`kf`]: the messages `kf/sync_msg` returns.

pub mod callback;
mod client;
mod codes;
mod event;
pub mod kf;

pub use client::{KF_SYNC_LIMIT, MassSendStatus, WecomClient};
