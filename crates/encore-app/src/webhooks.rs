//! The effects of a verified Shopify webhook delivery, each committed before the delivery is
//! recorded as handled (the server's `/webhooks/shopify` checks the HMAC and reads the headers).
//!
//! Catalog topics (products, inventory levels, collections) go to `catalog::incremental`,
//! which records the delivery in the transaction that applies it; `orders/create` feeds
//! co-purchase mining the same way. Compliance topics act on Encore's own data:
//! `customers/redact` deletes the customer's facts, `shop/redact` deletes the shop,
//! `customers/data_request` is recorded for the merchant to fetch its export (`data_request`).
//! `app/uninstalled` deletes the shop's tokens at once and stops its offers; its data stays until
//! `shop/redact`. `orders/edited`, `refunds/create` and `orders/cancelled` become attribution
//! facts (`attribution`); the order itself is read by the reconciler.

use serde_json::Value;

use encore_shopify::webhook::{Payload, Topic};
use encore_store::StoreError;

use crate::app::App;
use crate::catalog::incremental::{self, Applied, IncrementalError, Receipt};
use crate::clock::now;
use crate::data_request::DataRequest;

/// A delivery whose signature the server checked.
pub struct Delivery<'a> {
    /// `X-Shopify-Webhook-Id` (the server makes one up when Shopify sent none).
    pub webhook_id: &'a str,
    pub shop: &'a str,
    pub topic: &'a str,
    pub body: &'a [u8],
}

/// What a verified delivery came to.
pub enum Handled {
    New,
    Duplicate,
}

/// A delivery that cannot be handled; nothing of it is recorded, so Shopify's retry comes back.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The body is not JSON, or not the topic's payload.
    #[error("malformed JSON body: {0}")]
    BadJson(String),
    /// The payload lacks what its topic needs.
    #[error("{0}")]
    BadRequest(String),
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
}

/// Applies the delivery's effect and records it as handled, once per webhook id.
pub async fn handle(state: &App, delivery: &Delivery<'_>) -> Result<Handled, WebhookError> {
    let Delivery {
        webhook_id,
        shop,
        topic,
        body,
    } = *delivery;
    let payload: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::BadJson(e.to_string()))?;
    let receipt = Receipt {
        webhook_id,
        shop,
        topic,
    };
    // Catalog topics are applied with their receipt in one transaction.
    let kind = Topic::parse(topic);
    if incremental::is_catalog_topic(&kind) {
        let typed =
            Payload::parse(&kind, body).map_err(|e| WebhookError::BadJson(e.to_string()))?;
        if let Payload::InventoryLevel(level) = &typed {
            crate::catalog_sync::locations::fill_unreported(state, shop, level).await;
        }
        let applied = incremental::apply(&state.store, &receipt, &typed, now())
            .await
            .map_err(|e| match e {
                IncrementalError::Store(e) => WebhookError::from(e),
                other => WebhookError::BadRequest(other.to_string()),
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
            .map_err(|e| WebhookError::BadRequest(format!("orders/create payload: {e}")))?
        else {
            return Err(WebhookError::BadRequest("orders/create payload".into()));
        };
        let applied = crate::mining::incremental::order_created(
            &state.store,
            &state.mining,
            &receipt,
            &order,
            now(),
        )
        .await
        .map_err(|e| match e {
            crate::mining::incremental::OrderError::Store(e) => WebhookError::from(e),
            other => WebhookError::BadRequest(other.to_string()),
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
        .transpose()
        .map_err(|e| WebhookError::BadRequest(e.to_string()))?;
    let order_fact = OrderFact::parse(topic, body)?;
    // The other topics' effects are idempotent and recorded after they are committed, so a
    // failure leaves the delivery unrecorded and Shopify's retry applies it again.
    if state.store.webhook_seen(webhook_id).await? {
        return Ok(Handled::Duplicate);
    }
    match topic {
        "customers/redact" => {
            let customer = payload.pointer("/customer/id").map(|id| match id {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            if let Some(customer) = customer {
                state.store.redact_customer(shop, &customer).await?;
            }
        }
        "customers/data_request" => {
            if let Some(request) = data_request {
                request.record(&state.store, shop, now()).await?;
            }
        }
        "app/uninstalled" => {
            // Tokens go at once and offers stop; the shop's data stays until shop/redact.
            let domain = encore_shopify::ShopDomain::parse(shop)
                .map_err(|e| WebhookError::BadRequest(format!("X-Shopify-Shop-Domain: {e}")))?;
            state.credentials.uninstall(&domain).await?;
            state.facts.forget(shop);
            // Its imports stop at their next poll or chunk, its live miner goes, and neither
            // the schedule nor orders/create mines it again until it installs again.
            state.mining.forget(shop);
            tracing::info!(shop = %shop, "app uninstalled: tokens deleted, offers, sync and mining stopped");
        }
        "shop/redact" => {
            state.store.redact_shop(shop).await?;
            state.mining.forget(shop);
            state.facts.forget(shop);
            state.offer_stats_changed(shop);
        }
        // Wakes a sync polling its bulk operation.
        "bulk_operations/finish" => state.sync.bulk_finished(shop),
        _ => {}
    }
    if let Some(fact) = order_fact {
        fact.apply(state, shop).await?;
    }
    if !state
        .store
        .record_webhook(webhook_id, shop, topic, now())
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
    fn parse(topic: &str, body: &[u8]) -> Result<Option<Self>, WebhookError> {
        use encore_shopify::webhook::{Payload, Topic};
        let topic = Topic::parse(topic);
        if !matches!(
            topic,
            Topic::OrdersEdited | Topic::RefundsCreate | Topic::OrdersCancelled
        ) {
            return Ok(None);
        }
        let payload = Payload::parse(&topic, body)
            .map_err(|e| WebhookError::BadRequest(format!("{} payload: {e}", topic.as_str())))?;
        Ok(match payload {
            Payload::OrderEdited(p) => Some(Self::Edited(p)),
            Payload::Refund(p) => Some(Self::Refund(p)),
            Payload::OrderCancelled(p) => Some(Self::Cancelled(p)),
            _ => None,
        })
    }

    async fn apply(self, state: &App, shop: &str) -> Result<(), WebhookError> {
        let Some(shop_row) = state.store.shop(shop).await? else {
            tracing::warn!(
                shop,
                "an order webhook for a shop Encore does not know: ignored"
            );
            return Ok(());
        };
        let store = &state.store;
        let result = match &self {
            Self::Edited(p) => crate::attribution::order_edited(store, shop, p, now()).await,
            Self::Refund(p) => {
                crate::attribution::refund_created(store, shop, &shop_row.currency_code, p, now())
                    .await
                    .map(|_| ())
            }
            Self::Cancelled(p) => crate::attribution::order_cancelled(store, shop, p, now()).await,
        };
        if let Err(e) = &result {
            tracing::warn!(shop, error = %e, "an order webhook could not be recorded");
        }
        state.offer_stats_changed(shop);
        result.map_err(|e| match e {
            crate::attribution::AttributionError::Store(s) => WebhookError::Store(s),
            other => WebhookError::BadRequest(other.to_string()),
        })
    }
}
