use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Proof that the request carried the admin bearer token. Until operator accounts arrive,
/// this guards the whole REST API.
pub struct AdminAuth;

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::field(ErrorCode::Unauthorized, "Authorization", "send Authorization: Bearer <admin token>")
            })?;
        if constant_time_eq(given.trim().as_bytes(), state.admin_token.expose().as_bytes()) {
            Ok(AdminAuth)
        } else {
            Err(ApiError::field(ErrorCode::Unauthorized, "Authorization", "the admin token is wrong"))
        }
    }
}

/// Compare without leaking, through timing, how much of the token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_is_exact() {
        assert!(constant_time_eq(b"rka_abc", b"rka_abc"));
        assert!(!constant_time_eq(b"rka_abc", b"rka_ab"));
        assert!(!constant_time_eq(b"rka_abc", b"rka_abd"));
    }
}
