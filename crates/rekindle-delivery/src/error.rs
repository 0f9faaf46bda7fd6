//! How a send failed, in the terms the outbox decides retries by.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Why a provider did not take a message, across providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A daily, monthly or balance limit: nothing more goes out until it resets or is topped up.
    QuotaExhausted,
    /// A rate limit: the same message may go out a little later.
    Throttled,
    /// The person opted out, blacklisted the sender, or is no longer a WeCom friend.
    UserRefused,
    /// Mini-program: the person has no unused subscription for this template.
    NotSubscribed,
    /// The phone, openid or external_userid is not one the provider can reach.
    InvalidRecipient,
    /// The template, signature, parameters or text were refused.
    ContentRejected,
    /// Credentials, signature, IP allow-list or permissions.
    Unauthorized,
    /// Our configuration or request is wrong (missing template, bad parameter).
    Misconfigured,
    /// The provider failed in a way none of the above describe.
    ProviderError,
    /// No answer in time.
    Timeout,
    /// The connection failed.
    Network,
    /// WeCom: the staff member never confirmed the mass send in their app.
    Unconfirmed,
}

impl FailureKind {
    /// The name the outbox records and the readout shows (`failed:<kind>`), as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QuotaExhausted => "quota_exhausted",
            Self::Throttled => "throttled",
            Self::UserRefused => "user_refused",
            Self::NotSubscribed => "not_subscribed",
            Self::InvalidRecipient => "invalid_recipient",
            Self::ContentRejected => "content_rejected",
            Self::Unauthorized => "unauthorized",
            Self::Misconfigured => "misconfigured",
            Self::ProviderError => "provider_error",
            Self::Timeout => "timeout",
            Self::Network => "network",
            Self::Unconfirmed => "unconfirmed",
        }
    }
}

/// A send that did not succeed. Messages are the provider's own words or ours; they never
/// contain credentials, tokens or signed URLs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The provider said no; retrying will not help.
    #[error("rejected ({code}): {message}")]
    Rejected { kind: FailureKind, code: String, message: String },
    /// Certainly not sent (throttled, connection refused before the request went out); safe to
    /// retry.
    #[error("not sent, retry later ({code}): {message}")]
    Retryable { kind: FailureKind, code: String, message: String, retry_after: Option<Duration> },
    /// May or may not have been sent (timeout after the request was written, 5xx): retry only if
    /// the channel de-duplicates.
    #[error("outcome unknown ({code}): {message}")]
    Uncertain { kind: FailureKind, code: String, message: String },
}

impl SendError {
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Rejected { kind, .. } | Self::Retryable { kind, .. } | Self::Uncertain { kind, .. } => *kind,
        }
    }

    /// The provider's error code ("isv.BUSINESS_LIMIT_CONTROL", "43101", "http_500"), or ours
    /// ("timeout", "connect") for failures below the protocol.
    pub fn code(&self) -> &str {
        match self {
            Self::Rejected { code, .. } | Self::Retryable { code, .. } | Self::Uncertain { code, .. } => code,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::Rejected { message, .. } | Self::Retryable { message, .. } | Self::Uncertain { message, .. } => {
                message
            }
        }
    }

    /// How long the provider asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn rejected(kind: FailureKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Rejected { kind, code: code.into(), message: message.into() }
    }

    pub(crate) fn retryable(kind: FailureKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Retryable { kind, code: code.into(), message: message.into(), retry_after: None }
    }

    pub(crate) fn uncertain(kind: FailureKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Uncertain { kind, code: code.into(), message: message.into() }
    }

    pub(crate) fn with_retry_after(self, after: Option<Duration>) -> Self {
        match self {
            Self::Retryable { kind, code, message, .. } => Self::Retryable { kind, code, message, retry_after: after },
            other => other,
        }
    }
}

/// How a provider's answer code is to be taken: the three [`SendError`] classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Rejected,
    Retryable,
    Uncertain,
}

impl Class {
    pub(crate) fn error(self, kind: FailureKind, code: impl Into<String>, message: impl Into<String>) -> SendError {
        match self {
            Self::Rejected => SendError::rejected(kind, code, message),
            Self::Retryable => SendError::retryable(kind, code, message),
            Self::Uncertain => SendError::uncertain(kind, code, message),
        }
    }
}

/// A channel configuration that cannot work. Names the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("channels.{field} is required")]
    Missing { field: &'static str },
    #[error("channels.{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

#[cfg(test)]
mod tests {
    use super::FailureKind::{self, *};

    #[test]
    fn names_are_the_serialised_ones() {
        let all: [FailureKind; 12] = [
            QuotaExhausted,
            Throttled,
            UserRefused,
            NotSubscribed,
            InvalidRecipient,
            ContentRejected,
            Unauthorized,
            Misconfigured,
            ProviderError,
            Timeout,
            Network,
            Unconfirmed,
        ];
        for k in all {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
