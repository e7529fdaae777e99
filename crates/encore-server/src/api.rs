//! HTTP routes: the post-purchase API, health, and the router with CORS, limits, request ids and logs.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::purchase_request::PurchaseRequest;
use crate::state::AppState;
use encore_app::clock::now;
use encore_app::events::{self, BuyerEvent};
use encore_app::offer;
use encore_store::decisions::EventKind;

/// `POST /api/post-purchase/offer`: the offer for the purchase's current funnel step.
async fn post_offer(
    State(state): State<Arc<AppState>>,
    request: PurchaseRequest,
) -> Result<Response, ApiError> {
    // The body carries nothing else the server uses (the funnel is the server's).
    let answer = offer::offer(&state, &request.purchase, now()).await?;
    Ok(Json(answer).into_response())
}

/// `POST /api/post-purchase/events`: shown / accepted / declined / price_mismatch for a decision.
async fn post_event(
    State(state): State<Arc<AppState>>,
    PurchaseRequest { purchase, body }: PurchaseRequest,
) -> Result<Response, ApiError> {
    let decision_id = body
        .get("decisionId")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::BadRequest("decisionId is required".into()))?;
    let kind = match body.get("event").and_then(Value::as_str) {
        Some("shown") => EventKind::Shown,
        Some("accepted") => EventKind::Accepted,
        Some("declined") => EventKind::Declined,
        Some("price_mismatch") => EventKind::PriceMismatch,
        _ => {
            return Err(ApiError::BadRequest(
                "event must be shown, accepted, declined or price_mismatch".into(),
            ))
        }
    };
    let detail = match kind {
        EventKind::PriceMismatch => Some(price_mismatch_detail(&body)?),
        _ => None,
    };
    let status = match body.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s))
            if matches!(
                s.as_str(),
                "processed" | "partially_processed" | "unprocessed"
            ) =>
        {
            Some(s.as_str())
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "status must be processed, partially_processed or unprocessed".into(),
            ))
        }
    };
    let errors = match body.get("errors") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => {
            let cleaned: Vec<Value> = list
                .iter()
                .take(20)
                .map(|e| {
                    json!({
                        "code": e.get("code").and_then(Value::as_str).map(|s| truncate(s, 64)),
                        "message": e.get("message").and_then(Value::as_str).map(|s| truncate(s, 300)),
                    })
                })
                .collect();
            Some(Value::Array(cleaned).to_string())
        }
        Some(_) => return Err(ApiError::BadRequest("errors must be a list".into())),
    };
    let event = BuyerEvent {
        kind,
        status,
        errors: errors.as_deref(),
        detail: detail.as_deref(),
    };
    events::record(&state, &purchase, decision_id, &event, now()).await?;
    Ok(Json(json!({"ok": true})).into_response())
}

/// The amounts of a `price_mismatch` event, `{currencyCode, expected, calculated}`, as JSON
/// text: the offer's price and Shopify's calculateChangeset price in the currency the buyer was
/// to be shown (`calculated` null when Shopify could not price the offer).
fn price_mismatch_detail(body: &Value) -> Result<String, ApiError> {
    let bad = |what: &str| ApiError::BadRequest(format!("a price_mismatch event needs {what}"));
    let currency_code = body
        .get("currencyCode")
        .and_then(Value::as_str)
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        .ok_or_else(|| bad("currencyCode, an ISO 4217 code"))?;
    let expected = body
        .get("expected")
        .and_then(Value::as_str)
        .filter(|a| is_decimal(a))
        .ok_or_else(|| bad("expected, a decimal amount"))?;
    let calculated = match body.get("calculated") {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) if is_decimal(a) => Some(a.as_str()),
        Some(_) => return Err(bad("calculated, a decimal amount or null")),
    };
    Ok(
        json!({"currencyCode": currency_code, "expected": expected, "calculated": calculated})
            .to_string(),
    )
}

/// A decimal amount as Shopify and the extension write them: `-12.50`, `1499`.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    digits.len() <= 24
        && !whole.is_empty()
        && !fraction.is_empty()
        && whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
}

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            Json(json!({"status": "ready", "function": state.runner.describe()})).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "not ready: storage");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "message": "storage is unavailable"})),
            )
                .into_response()
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

/// The whole application router.
pub fn router(state: Arc<AppState>) -> Router {
    let cors = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::HeaderName::from_static(
            crate::error::RETRY_INVALID_SESSION,
        )])
        .max_age(Duration::from_secs(600))
        .allow_origin(if state.settings.cors_origins.is_empty() {
            // Bearer-token API without cookies: the checkout's worker origin may be anything
            // Shopify serves extensions from, and allowing it grants nothing without a token.
            AllowOrigin::any()
        } else {
            AllowOrigin::list(
                state
                    .settings
                    .cors_origins
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok()),
            )
        });
    let body_limit = state.settings.body_limit;
    let mut app = Router::new()
        .route("/api/post-purchase/offer", post(post_offer))
        .route("/api/post-purchase/events", post(post_event))
        .route("/webhooks/shopify", post(crate::webhooks::receive))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::scrape::serve))
        .merge(crate::admin::routes())
        .merge(crate::admin_app::routes())
        .merge(crate::admin_lookup::routes())
        .merge(crate::checkout_setting::routes())
        .merge(crate::install::routes())
        .merge(crate::retention::routes())
        .merge(crate::data_request::routes())
        .merge(crate::catalog_sync::routes())
        .merge(crate::store_health::routes())
        .merge(crate::catalog_search::routes())
        .merge(crate::mining::routes());
    if state.settings.demo {
        app = app.merge(crate::demo::routes());
    }
    app.fallback(not_found)
        // Inside the router's layers, so it sees the matched route and every status.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::scrape::track,
        ))
        .with_state(state)
        // For extractors that read through axum's limit (the webhook's raw bytes); JsonBody and
        // PurchaseRequest read bodies with their own limits (crate::body).
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                // The path only: no query string, no headers (tokens), no body (addresses).
                tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
