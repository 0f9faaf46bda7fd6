//! Rekindle's delivery: the wire protocols of the providers that carry a touch to a person.
//!
//! Each provider is one [`Channel`]: it takes an [`Outgoing`] message, speaks the provider's real
//! protocol (signing included) and answers with a [`Receipt`] or a [`SendError`] that says whether
//! the message certainly was not sent ([`SendError::Retryable`]), certainly will not be
//! ([`SendError::Rejected`]), or may have been ([`SendError::Uncertain`]). The caller's outbox
//! decides on retries from that alone.
//!
//! - SMS: [`aliyun_sms`] (RPC signature v1) and [`tencent_sms`] (TC3-HMAC-SHA256).
//! - [`wecom`]: WeCom customer contact (mass-send tasks, welcome messages, callback crypto).
//! - [`miniprogram`]: mini-program subscribe messages.
//! - [`webhook`]: a signed POST to the operator's own system.
//!
//! With the `standin` feature, [`standin`] runs local servers that behave like each provider, so
//! tests exercise the real protocol without the internet.

pub mod aliyun_sms;
mod channel;
mod channels;
pub mod clock;
mod config;
mod error;
mod http;
pub mod miniprogram;
mod pairs;
mod recipient;
pub mod tencent_sms;
mod token;
pub mod webhook;
mod wechat;
pub mod wecom;

#[cfg(feature = "standin")]
pub mod standin;

pub use channel::{Channel, ChannelKind, Outgoing, Receipt};
pub use channels::Channels;
pub use config::{AliyunSmsConfig, ChannelsConfig, MiniProgramConfig, TencentSmsConfig, WebhookConfig, WecomConfig};
pub use error::{ConfigError, FailureKind, SendError};
pub use http::install_ring as install_crypto_provider;
pub use rekindle_core::secret::Secret;
pub use webhook::verify_webhook_signature;
pub use wecom::{Attachment, GroupPost, MassSendStatus, WecomClient};
