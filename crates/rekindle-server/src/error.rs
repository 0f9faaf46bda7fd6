//! Every error the HTTP layer answers with: one table from code to status, one JSON shape.
//!
//! ```json
//! {"code": "invalid_field", "message": "either userId or anonymousId is required", "field": "batch[3].userId"}
//! ```
//! `code` is stable snake_case for programs; `message` is for people; `field` names the input
//! at fault when there is one. Internal failures log their cause and tell the client nothing
//! more than `internal`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rekindle_core::{FieldError, FieldErrorKind};
use rekindle_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    InvalidField,
    MessageTooLarge,
    BatchTooLarge,
    /// A REST request body over the API's limit (ingestion has its own two codes).
    PayloadTooLarge,
    UnsupportedMediaType,
    Unauthorized,
    Forbidden,
    RateLimited,
    NotFound,
    /// The route exists, but not with this method; `Allow` lists the ones it takes.
    MethodNotAllowed,
    /// The request body did not arrive within `http.body_timeout_secs`.
    RequestTimeout,
    Conflict,
    Overloaded,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidJson | Self::InvalidField => StatusCode::BAD_REQUEST,
            Self::MessageTooLarge | Self::BatchTooLarge | Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Overloaded => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where in `field` a rule went wrong: a character (Unicode scalar) offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

/// The most characters of a client's own words an error repeats.
const ECHOED: usize = 80;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, position: None }
    }

    pub fn field(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: Some(field.into()), position: None }
    }

    /// A segment or tag rule that does not parse, pointing at the spot, told in `lang`.
    pub fn rule(field: &str, e: &rekindle_rules::ParseError, lang: rekindle_rules::Lang) -> Self {
        Self { position: Some(e.position), ..Self::field(ErrorCode::InvalidField, field, e.message(lang)) }
    }

    /// `what` is told as the client wrote it, cut to [`ECHOED`] characters: a 10,000-character
    /// id is not sent back whole.
    pub fn not_found(what: impl Into<String>) -> Self {
        let what = what.into();
        let told: String = match what.char_indices().nth(ECHOED) {
            Some((cut, _)) => format!("{}…", &what[..cut]),
            None => what,
        };
        Self::new(ErrorCode::NotFound, format!("{told} not found"))
    }

    /// Log the cause for operators; the client learns only that it was our fault.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "request failed");
        Self::new(ErrorCode::Internal, "internal error; the server log has details")
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        let code = match e.kind {
            FieldErrorKind::MalformedJson => ErrorCode::InvalidJson,
            FieldErrorKind::Invalid => ErrorCode::InvalidField,
        };
        Self { code, message: e.reason, field: Some(e.field).filter(|f| !f.is_empty()), position: None }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::AlreadyExists(what) => Self::new(ErrorCode::Conflict, format!("{what} already exists")),
            StoreError::Superseded(_) | StoreError::Backend(_) => Self::internal(&e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let mut response = (status, Json(&self)).into_response();
        match self.code {
            ErrorCode::Unauthorized => {
                // Ingestion takes the write key as a Basic username; the REST API takes
                // bearer tokens or the console's cookie. A Basic challenge there would make
                // browsers pop a password dialog over the console.
                let challenge = if self.field.as_deref() == Some("writeKey") {
                    "Basic realm=\"rekindle\""
                } else {
                    "Bearer realm=\"rekindle\""
                };
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            ErrorCode::Overloaded | ErrorCode::Unavailable => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}
