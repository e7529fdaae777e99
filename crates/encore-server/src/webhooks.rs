//! Shopify webhooks at `/webhooks/shopify`: HMAC-verified, handled once per delivery id.
//!
//! Catalog topics (products, inventory levels, collections) go to `catalog_sync::incremental`,
//! which records the delivery in the transaction that applies it. Compliance topics act on
//! Encore's own data: `customers/redact` deletes the customer's facts,
//! `shop/redact` deletes the shop, `customers/data_request` is recorded for the merchant to fetch
//! its export (`data_request`). `app/uninstalled` deletes the shop's tokens at once and stops its
//! offers; its data stays until `shop/redact`. `orders/edited`, `refunds/create` and
//! `orders/cancelled` become attribution facts (`attribution`); the order itself is read by the
//! reconciler. Every delivery is recorded as handled only once its effect is committed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use encore_shopify::webhook::{Payload, Topic};

use crate::error::ApiError;
use crate::metrics::WebhookOutcome;
use crate::state::AppState;
use encore_app::catalog::incremental::{self, Applied, IncrementalError, Receipt};
use encore_app::clock::now;
use encore_app::data_request::DataRequest;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What a verified delivery came to.
enum Handled {
    New,
    Duplicate,
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
    let topic = crate::store_health::SUBSCRIBED_TOPICS
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
    let payload: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::BadJson(e.to_string()))?;
    let webhook_id = header(headers, "x-shopify-webhook-id")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{topic}:{}", uuid::Uuid::new_v4()));
    let receipt = Receipt {
        webhook_id: &webhook_id,
        shop: &shop,
        topic: &topic,
    };
    // Catalog topics are applied with their receipt in one transaction.
    let kind = Topic::parse(&topic);
    if incremental::is_catalog_topic(&kind) {
        let typed = Payload::parse(&kind, body).map_err(|e| ApiError::BadJson(e.to_string()))?;
        if let Payload::InventoryLevel(level) = &typed {
            encore_app::catalog_sync::locations::fill_unreported(state, &shop, level).await;
        }
        let applied = incremental::apply(&state.store, &receipt, &typed, now())
            .await
            .map_err(|e| match e {
                IncrementalError::Store(e) => ApiError::from(e),
                other => ApiError::BadRequest(other.to_string()),
            })?;
        tracing::info!(topic = %topic, effect = ?applied, "webhook handled");
        return Ok(match applied {
            Applied::Duplicate => Handled::Duplicate,
            Applied::Changed | Applied::Ignored => Handled::New,
        });
    }
    // New orders feed co-purchase mining, recorded with their receipt in one transaction.
    if matches!(kind, Topic::OrdersCreate) {
        let Payload::OrderCreated(order) = Payload::parse(&kind, body)
            .map_err(|e| ApiError::BadRequest(format!("orders/create payload: {e}")))?
        else {
            return Err(ApiError::BadRequest("orders/create payload".into()));
        };
        let applied = encore_app::mining::incremental::order_created(
            &state.store,
            &state.mining,
            &receipt,
            &order,
            now(),
        )
        .await
        .map_err(|e| match e {
            encore_app::mining::incremental::OrderError::Store(e) => ApiError::from(e),
            other => ApiError::BadRequest(other.to_string()),
        })?;
        tracing::info!(topic = %topic, effect = ?applied, "webhook handled");
        return Ok(match applied {
            Applied::Duplicate => Handled::Duplicate,
            Applied::Changed | Applied::Ignored => Handled::New,
        });
    }
    // Read before anything is written: a refused payload is not taken for handled.
    let data_request = (topic == "customers/data_request")
        .then(|| DataRequest::from_payload(&payload))
        .transpose()?;
    let order_fact = OrderFact::parse(&topic, body)?;
    // The other topics' effects are idempotent and recorded after they are committed, so a
    // failure leaves the delivery unrecorded and Shopify's retry applies it again.
    if state.store.webhook_seen(&webhook_id).await? {
        return Ok(Handled::Duplicate);
    }
    match topic.as_str() {
        "customers/redact" => {
            let customer = payload.pointer("/customer/id").map(|id| match id {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            if let Some(customer) = customer {
                state.store.redact_customer(&shop, &customer).await?;
            }
        }
        "customers/data_request" => {
            if let Some(request) = data_request {
                request.record(&state.store, &shop, now()).await?;
            }
        }
        "app/uninstalled" => {
            // Tokens go at once and offers stop; the shop's data stays until shop/redact.
            let domain = encore_shopify::ShopDomain::parse(&shop)
                .map_err(|e| ApiError::BadRequest(format!("X-Shopify-Shop-Domain: {e}")))?;
            state.credentials.uninstall(&domain).await?;
            state.facts.forget(&shop);
            // Its imports stop at their next poll or chunk, its live miner goes, and neither
            // the schedule nor orders/create mines it again until it installs again.
            state.mining.forget(&shop);
            tracing::info!(shop = %shop, "app uninstalled: tokens deleted, offers, sync and mining stopped");
        }
        "shop/redact" => {
            state.store.redact_shop(&shop).await?;
            state.mining.forget(&shop);
            state.facts.forget(&shop);
            state.offer_stats_changed(&shop);
        }
        // Wakes a sync polling its bulk operation.
        "bulk_operations/finish" => state.sync.bulk_finished(&shop),
        _ => {}
    }
    if let Some(fact) = order_fact {
        fact.apply(state, &shop).await?;
    }
    if !state
        .store
        .record_webhook(&webhook_id, &shop, &topic, now())
        .await?
    {
        return Ok(Handled::Duplicate);
    }
    tracing::info!(topic = %topic, "webhook handled");
    Ok(Handled::New)
}

/// An attribution fact from an order webhook (`attribution`).
enum OrderFact {
    Edited(encore_shopify::webhook::OrderEditedPayload),
    Refund(encore_shopify::webhook::RefundPayload),
    Cancelled(encore_shopify::webhook::OrderPayload),
}

impl OrderFact {
    /// Reads the payload of an order topic; a payload that does not fit is refused (400)
    /// before the delivery is recorded, so Shopify's retry is not taken for a duplicate.
    fn parse(topic: &str, body: &[u8]) -> Result<Option<Self>, ApiError> {
        use encore_shopify::webhook::{Payload, Topic};
        let topic = Topic::parse(topic);
        if !matches!(
            topic,
            Topic::OrdersEdited | Topic::RefundsCreate | Topic::OrdersCancelled
        ) {
            return Ok(None);
        }
        let payload = Payload::parse(&topic, body)
            .map_err(|e| ApiError::BadRequest(format!("{} payload: {e}", topic.as_str())))?;
        Ok(match payload {
            Payload::OrderEdited(p) => Some(Self::Edited(p)),
            Payload::Refund(p) => Some(Self::Refund(p)),
            Payload::OrderCancelled(p) => Some(Self::Cancelled(p)),
            _ => None,
        })
    }

    async fn apply(self, state: &AppState, shop: &str) -> Result<(), ApiError> {
        let Some(shop_row) = state.store.shop(shop).await? else {
            tracing::warn!(
                shop,
                "an order webhook for a shop Encore does not know: ignored"
            );
            return Ok(());
        };
        let store = &state.store;
        let result = match &self {
            Self::Edited(p) => encore_app::attribution::order_edited(store, shop, p, now()).await,
            Self::Refund(p) => encore_app::attribution::refund_created(
                store,
                shop,
                &shop_row.currency_code,
                p,
                now(),
            )
            .await
            .map(|_| ()),
            Self::Cancelled(p) => {
                encore_app::attribution::order_cancelled(store, shop, p, now()).await
            }
        };
        if let Err(e) = &result {
            tracing::warn!(shop, error = %e, "an order webhook could not be recorded");
        }
        state.offer_stats_changed(shop);
        result.map_err(|e| match e {
            encore_app::attribution::AttributionError::Store(s) => ApiError::Store(s),
            other => ApiError::BadRequest(other.to_string()),
        })
    }
}
