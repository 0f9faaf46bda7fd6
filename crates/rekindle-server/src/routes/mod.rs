//! The URL tree: `/v1/*` (Segment ingestion), `/sa` (Sensors Data ingestion), `/api/v1/*` (REST), operations, and the console
//! at `/` for everything else.

pub mod api;
mod callbacks;
mod console;
mod contact_changes;
mod links;
pub mod ops;
mod points;
mod sensors;
mod subscription_page;
pub mod tracking;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Rekindle", description = "Retention and re-engagement for private-domain live-stream commerce."),
    modifiers(&SecuritySchemes),
    components(schemas(ApiError, ErrorCode))
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        // An operator's API token, or the deployment's admin token.
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(crate::auth::SESSION_COOKIE),
            )),
        );
        components.add_security_scheme("write_key", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
    }
}

/// The whole application, and the OpenAPI document generated from its annotated routes.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        // Ingestion reads bodies itself, with its own limits and JSON errors.
        .merge(tracking::router().layer(DefaultBodyLimit::disable()))
        .merge(sensors::router().layer(DefaultBodyLimit::disable()))
        .merge(api::router())
        .merge(points::router())
        .split_for_parts();
    api.merge(ops::router(openapi))
        .merge(callbacks::router())
        .merge(subscription_page::router())
        .merge(links::router())
        // After every route is merged: it applies to the routes already there.
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(console::serve)
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::track_requests))
        .with_state(state)
}

/// A route that exists, called with a method it does not take: the JSON error (axum adds the
/// `Allow` header listing the methods it does take).
async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, format!("{} does not take {method}", uri.path()))
}
