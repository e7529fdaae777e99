//! API errors: each maps to one HTTP status and a JSON body `{"error": code, "message": words}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use encore_shopify::post_purchase::token::TokenError;
use encore_store::StoreError;

/// Set on a 401 for a missing or refused session token (as shopify-app-js does).
pub const RETRY_INVALID_SESSION: &str = "x-shopify-retry-invalid-session-request";

/// A request that cannot be answered normally.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(#[from] TokenError),
    #[error("admin routes need Authorization: Bearer <ENCORE_ADMIN_TOKEN>")]
    AdminUnauthorized,
    #[error("the webhook's X-Shopify-Hmac-Sha256 does not match its body and the app secret")]
    WebhookUnauthorized,
    #[error("admin routes are disabled: set ENCORE_ADMIN_TOKEN")]
    AdminDisabled,
    #[error("/metrics needs Authorization: Bearer <ENCORE_METRICS_TOKEN> (or the admin token)")]
    MetricsUnauthorized,
    #[error("/metrics is disabled: set ENCORE_METRICS_TOKEN (or ENCORE_ADMIN_TOKEN)")]
    MetricsDisabled,
    #[error("malformed JSON body: {0}")]
    BadJson(String),
    #[error("{0}")]
    BadRequest(String),
    /// The body went over `limit`. `read_whole`: the server read it to its end before
    /// answering (so the client gets the answer, not a reset); false only past the drain bound,
    /// when the connection is closed after the answer.
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize, read_whole: bool },
    /// A post-purchase token over the largest one a purchase the Function can take needs.
    #[error("the post-purchase token is {size} bytes; this server takes tokens up to {limit} bytes (purchases up to the Function's scaled input limit)")]
    TokenTooLarge {
        size: usize,
        limit: usize,
        in_header: bool,
    },
    #[error("shop {0} is not installed on this Encore server")]
    UnknownShop(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the campaign configuration has {} fault(s)", .0.len())]
    InvalidConfig(Vec<(String, String)>),
    /// A save edited from an older version changed what the live version `live` also changed
    /// (campaign ids or shop-wide keys): nothing was saved.
    #[error("version {live} changed {} since this edit began: {}", .subjects.len(), .subjects.join(", "))]
    ConfigConflict { live: i64, subjects: Vec<String> },
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
    #[error("the server is shutting down")]
    Unavailable,
    #[error(
        "admin routes need Authorization: Bearer <App Bridge session token or ENCORE_ADMIN_TOKEN>"
    )]
    SessionMissing,
    #[error("{0}")]
    SessionToken(encore_shopify::session::SessionTokenError),
    #[error("a session acts on its own shop only")]
    OtherShop,
    #[error("the install callback was refused: {0}")]
    Callback(encore_shopify::oauth::CallbackError),
    #[error("the install's state is unknown, used or expired: start again from /auth?shop=")]
    InstallState,
    #[error("the authorization-code install is disabled: set ENCORE_APP_URL to this server's public URL")]
    InstallDisabled,
    #[error("Shopify did not complete the install: {0}")]
    InstallFailed(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_)
            | ApiError::AdminUnauthorized
            | ApiError::WebhookUnauthorized
            | ApiError::MetricsUnauthorized
            | ApiError::SessionMissing
            | ApiError::SessionToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::OtherShop => StatusCode::FORBIDDEN,
            ApiError::Callback(_) | ApiError::InstallState => StatusCode::BAD_REQUEST,
            ApiError::InstallDisabled => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::InstallFailed(_) => StatusCode::BAD_GATEWAY,
            ApiError::AdminDisabled
            | ApiError::MetricsDisabled
            | ApiError::Store(_)
            | ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadJson(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            // A header that is too large is 431 (RFC 6585), a body that is, 413.
            ApiError::TokenTooLarge {
                in_header: true, ..
            } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::TokenTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnknownShop(_) | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::InvalidConfig(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::ConfigConflict { .. } => StatusCode::CONFLICT,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "invalid_token",
            ApiError::AdminUnauthorized => "invalid_admin_token",
            ApiError::WebhookUnauthorized => "invalid_webhook_signature",
            ApiError::AdminDisabled => "admin_disabled",
            ApiError::MetricsUnauthorized => "invalid_metrics_token",
            ApiError::MetricsDisabled => "metrics_disabled",
            ApiError::BadJson(_) => "malformed_json",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::TooLarge { .. } => "body_too_large",
            ApiError::TokenTooLarge { .. } => "token_too_large",
            ApiError::UnknownShop(_) => "unknown_shop",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::InvalidConfig(_) => "invalid_config",
            ApiError::ConfigConflict { .. } => "config_conflict",
            ApiError::Store(_) => "storage_unavailable",
            ApiError::Unavailable => "unavailable",
            ApiError::SessionMissing => "missing_token",
            ApiError::SessionToken(_) => "invalid_session_token",
            ApiError::OtherShop => "other_shop",
            ApiError::Callback(_) => "invalid_callback",
            ApiError::InstallState => "invalid_state",
            ApiError::InstallDisabled => "install_disabled",
            ApiError::InstallFailed(_) => "install_failed",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Store(e) = &self {
            tracing::error!(error = %e, "storage error");
        } else if status.is_client_error() {
            tracing::info!(status = status.as_u16(), code = self.code(), message = %self, "request refused");
        }
        let mut body = json!({"error": self.code(), "message": self.to_string()});
        if let ApiError::InvalidConfig(faults) = &self {
            body["faults"] = faults
                .iter()
                .map(|(path, message)| json!({"path": path, "message": message}))
                .collect();
        }
        if let ApiError::ConfigConflict { live, subjects } = &self {
            body["liveVersion"] = json!(live);
            body["conflicts"] = json!(subjects);
        }
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(self, ApiError::SessionToken(_) | ApiError::SessionMissing) {
            // Shopify's app libraries' signal: App Bridge fetches a new session token and
            // retries the request once.
            response.headers_mut().insert(
                RETRY_INVALID_SESSION,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        if let ApiError::TooLarge {
            read_whole: false, ..
        } = self
        {
            // The rest of the body is still on its way: say that this connection ends here.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

// The use cases' errors, each mapped to its status here, in one place.

impl From<encore_app::offer::OfferError> for ApiError {
    fn from(e: encore_app::offer::OfferError) -> Self {
        use encore_app::offer::OfferError;
        match e {
            OfferError::UnknownShop(shop) => ApiError::UnknownShop(shop),
            OfferError::Store(e) => ApiError::Store(e),
            OfferError::Unavailable => ApiError::Unavailable,
        }
    }
}

impl From<encore_app::catalog_sync::run::SyncError> for ApiError {
    fn from(e: encore_app::catalog_sync::run::SyncError) -> Self {
        match e {
            encore_app::catalog_sync::run::SyncError::Store(e) => ApiError::Store(e),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl From<encore_app::mining::import::MiningError> for ApiError {
    fn from(e: encore_app::mining::import::MiningError) -> Self {
        match e {
            encore_app::mining::import::MiningError::Store(e) => ApiError::Store(e),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl From<encore_app::install::InstallError> for ApiError {
    fn from(e: encore_app::install::InstallError) -> Self {
        match e {
            encore_app::install::InstallError::Failed(why) => ApiError::InstallFailed(why),
            encore_app::install::InstallError::Store(e) => ApiError::Store(e),
        }
    }
}

impl From<encore_app::webhooks::WebhookError> for ApiError {
    fn from(e: encore_app::webhooks::WebhookError) -> Self {
        use encore_app::webhooks::WebhookError;
        match e {
            WebhookError::BadJson(why) => ApiError::BadJson(why),
            WebhookError::BadRequest(why) => ApiError::BadRequest(why),
            WebhookError::Store(e) => ApiError::Store(e),
        }
    }
}

impl From<encore_app::campaigns::SaveError> for ApiError {
    fn from(e: encore_app::campaigns::SaveError) -> Self {
        use encore_app::campaigns::SaveError;
        match e {
            SaveError::Invalid(faults) => ApiError::InvalidConfig(faults),
            SaveError::Conflict { live, subjects } => ApiError::ConfigConflict { live, subjects },
            SaveError::Store(e) => ApiError::Store(e),
            other @ (SaveError::ShopCurrency(_) | SaveError::UnknownBase(_)) => {
                ApiError::BadRequest(other.to_string())
            }
        }
    }
}

impl From<encore_app::simulation_orders::PastOrdersError> for ApiError {
    fn from(e: encore_app::simulation_orders::PastOrdersError) -> Self {
        use encore_app::simulation_orders::PastOrdersError;
        match e {
            PastOrdersError::Store(e) => ApiError::Store(e),
            other @ PastOrdersError::NotAName(_) => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl From<encore_app::events::EventError> for ApiError {
    fn from(e: encore_app::events::EventError) -> Self {
        use encore_app::events::EventError;
        match e {
            EventError::UnknownDecision => ApiError::NotFound(e.to_string()),
            EventError::NothingOffered => ApiError::Conflict(e.to_string()),
            EventError::Store(e) => ApiError::Store(e),
        }
    }
}

impl From<encore_app::loads::BadDocument> for ApiError {
    fn from(e: encore_app::loads::BadDocument) -> Self {
        ApiError::BadRequest(e.0)
    }
}
