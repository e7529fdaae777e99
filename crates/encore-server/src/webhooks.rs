//! Shopify webhooks at `/webhooks/shopify`: HMAC-verified here, the topic and shop read from
//! the headers, then handled once per delivery id by `encore_app::webhooks` (every delivery is
//! recorded as handled only once its effect is committed). Failures of signed deliveries are
//! kept for the Store status; every outcome is counted in the metrics.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::metrics::WebhookOutcome;
use crate::state::AppState;
use encore_app::clock::now;
use encore_app::webhooks::{self, Delivery, Handled};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `POST /webhooks/shopify`.
pub async fn receive(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let handled = handle(&state, &headers, &body).await;
    if let Err(error) = &handled {
        record_failure(&state, &headers, error).await;
    }
    let outcome = match &handled {
        Ok(Handled::New) => WebhookOutcome::Handled,
        Ok(Handled::Duplicate) => WebhookOutcome::Duplicate,
        Err(ApiError::WebhookUnauthorized) => WebhookOutcome::BadHmac,
        Err(_) => WebhookOutcome::Error,
    };
    state
        .metrics
        .webhook(header(&headers, "x-shopify-topic"), outcome);
    Ok(match handled? {
        Handled::New => Json(json!({"ok": true})),
        Handled::Duplicate => Json(json!({"ok": true, "duplicate": true})),
    }
    .into_response())
}

/// Keeps a signed delivery that failed for the shop's Store status (an unsigned one names no
/// shop Encore can believe). A failure to record it is only logged: the answer stays the error.
async fn record_failure(state: &AppState, headers: &HeaderMap, error: &ApiError) {
    if matches!(error, ApiError::WebhookUnauthorized) {
        return;
    }
    let (Some(shop), Some(topic)) = (
        header(headers, "x-shopify-shop-domain").filter(|s| !s.is_empty()),
        header(headers, "x-shopify-topic").filter(|s| !s.is_empty()),
    ) else {
        return;
    };
    let topic = encore_app::store_health::SUBSCRIBED_TOPICS
        .into_iter()
        .find(|t| *t == topic)
        .unwrap_or("other");
    if let Err(e) = state
        .store
        .record_webhook_failure(&shop.to_ascii_lowercase(), topic, &error.to_string(), now())
        .await
    {
        tracing::warn!(error = %e, "cannot record a webhook failure");
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Handled, ApiError> {
    // Shopify's signature rule lives in encore-shopify (base64 HMAC-SHA256, constant time).
    if !encore_shopify::webhook::signature_is_valid(
        &encore_shopify::Secret::new(state.settings.api_secret.clone()),
        body,
        header(headers, "x-shopify-hmac-sha256"),
    ) {
        return Err(ApiError::WebhookUnauthorized);
    }
    let topic = header(headers, "x-shopify-topic")
        .unwrap_or_default()
        .to_owned();
    let shop = header(headers, "x-shopify-shop-domain")
        .unwrap_or_default()
        .to_owned();
    if topic.is_empty() || shop.is_empty() {
        return Err(ApiError::BadRequest(
            "X-Shopify-Topic and X-Shopify-Shop-Domain are required".into(),
        ));
    }
    let webhook_id = header(headers, "x-shopify-webhook-id")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{topic}:{}", uuid::Uuid::new_v4()));
    let delivery = Delivery {
        webhook_id: &webhook_id,
        shop: &shop,
        topic: &topic,
        body,
    };
    Ok(webhooks::handle(state, &delivery).await?)
}
