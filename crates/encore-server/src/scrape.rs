//! `GET /metrics` for a scraper holding the metrics or admin token, and the middleware that
//! counts and times every request by its route pattern.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::HEAD => "HEAD",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Middleware (added with `Router::layer`, so the matched path is known): counts and times
/// every request by its route pattern, never its raw path.
pub async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    state.metrics.request(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Checks `Authorization: Bearer` against ENCORE_METRICS_TOKEN or ENCORE_ADMIN_TOKEN.
fn check_scraper(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let accepted: Vec<&str> = [
        state.settings.metrics_token.as_deref(),
        state.settings.admin_token.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if accepted.is_empty() {
        return Err(ApiError::MetricsDisabled);
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| encore_shopify::post_purchase::token::bearer(Some(h)).ok())
        .ok_or(ApiError::MetricsUnauthorized)?;
    // Both compared, so the time says nothing about which one is set.
    let matches = accepted
        .iter()
        .fold(false, |any, t| crate::session::same_secret(t, given) | any);
    if matches {
        Ok(())
    } else {
        Err(ApiError::MetricsUnauthorized)
    }
}

/// `GET /metrics`.
pub async fn serve(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_scraper(&state, &headers)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )],
        state.metrics.render(),
    )
        .into_response())
}
