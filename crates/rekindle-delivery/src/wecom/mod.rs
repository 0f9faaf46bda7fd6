//! WeCom (企业微信) customer contact.
//!
//! A company cannot message a customer directly: it creates a mass-send task
//! (`externalcontact/add_msg_template`) that the staff member confirms in WeCom, so a send ends
//! [`Receipt::awaiting_confirmation`](crate::Receipt) and [`WecomClient::mass_send_state`] tells
//! later whether it went out. The one exception is the welcome message, sent within 20 seconds
//! of the "customer added" callback with the `welcome_code` it carries.
//!
//! - [`WecomClient`]: the API calls.
//! - [`callback`]: the callback URL's signature and AES crypto, and the contact events.

pub mod callback;
mod client;
mod codes;
mod event;

pub use client::{MassSendStatus, WecomClient};
