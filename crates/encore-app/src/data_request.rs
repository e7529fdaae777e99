//! Customer data requests (`customers/data_request`): recorded when Shopify sends one, answered
//! with a JSON export of what Encore holds on the customer, fetched by the merchant from the
//! server's `GET /api/data-requests/{id}?shop=` (admin token) to pass on.
//!
//! The export is built when it is fetched, from the rows as they are then: Encore keeps no second
//! copy of the customer's data, so a later `customers/redact` leaves nothing behind. It holds the
//! customer facts the merchant loaded and, for every purchase whose post-purchase token named the
//! customer, the funnel, the decisions (offers and reasons) and the buyer's events. Encore keeps
//! no order ids (the post-purchase page comes before the order), so `orders_requested` is echoed,
//! not matched; the customer's email and phone in the payload are not stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::rfc3339;
use encore_store::data_requests::DataRequestRow;
use encore_store::{Store, StoreError};

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: u64,
}

/// The parts of Shopify's `customers/data_request` payload Encore uses
/// (`{shop_id, shop_domain, customer: {id, email, phone}, orders_requested, data_request: {id}}`).
#[derive(Debug, Deserialize)]
pub struct DataRequest {
    customer: IdOnly,
    orders_requested: Vec<u64>,
    data_request: IdOnly,
}

/// A `customers/data_request` payload without the ids Encore needs.
#[derive(Debug, thiserror::Error)]
#[error("customers/data_request payload: {0}")]
pub struct BadPayload(serde_json::Error);

impl DataRequest {
    /// Reads a verified payload; a payload without the customer's and the request's ids is refused.
    pub fn from_payload(payload: &Value) -> Result<Self, BadPayload> {
        Self::deserialize(payload).map_err(BadPayload)
    }

    /// Records the request (once per shop and request id).
    pub async fn record(&self, store: &Store, shop: &str, now: i64) -> Result<(), StoreError> {
        let orders: Vec<String> = self.orders_requested.iter().map(u64::to_string).collect();
        store
            .record_data_request(
                shop,
                &self.data_request.id.to_string(),
                &self.customer.id.to_string(),
                &orders,
                now,
            )
            .await?;
        tracing::info!(
            request = self.data_request.id,
            "customer data request recorded; the export is at GET /api/data-requests/{{id}}?shop="
        );
        Ok(())
    }
}

/// A recorded request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOut {
    pub id: String,
    pub customer_id: String,
    /// Shopify's order ids, as sent (Encore holds no order ids to match them with).
    pub orders_requested: Vec<String>,
    pub received_at: String,
}

/// What Encore holds on the customer of one data request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataExport {
    pub shop: String,
    pub data_request: RequestOut,
    pub generated_at: String,
    /// The customer facts the merchant loaded (`PUT /api/customers`), if any.
    pub customer: Option<Value>,
    /// Purchases whose post-purchase token named the customer, oldest reference first.
    pub purchases: Vec<PurchaseOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOut {
    pub reference_id: String,
    /// Where the purchase's funnel is (absent before the buyer answered an offer).
    pub funnel: Option<FunnelOut>,
    pub decisions: Vec<DecisionOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunnelOut {
    pub seq: i64,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionOut {
    pub id: String,
    pub seq: i64,
    pub created_at: String,
    /// Whether the Function made an offer.
    pub offered: bool,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    /// The offer as the Function made it (products, prices, copy, changes).
    pub offer: Option<Value>,
    /// Why each other campaign was passed over.
    pub reasons: Value,
    pub offer_amount: Option<String>,
    pub currency_code: Option<String>,
    pub shown: bool,
    /// accepted, declined or accept_failed; absent until the buyer answered.
    pub outcome: Option<String>,
    pub events: Vec<EventOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventOut {
    pub event: String,
    /// Shopify's applyChangeset status for an accept.
    pub status: Option<String>,
    pub errors: Option<Value>,
    pub created_at: String,
}

fn json_text(text: Option<String>) -> Result<Option<Value>, StoreError> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(StoreError::from)
}

pub fn request_of(r: DataRequestRow) -> RequestOut {
    RequestOut {
        id: r.request_id,
        customer_id: r.customer_id,
        orders_requested: r.orders_requested,
        received_at: rfc3339(r.received_at),
    }
}

/// The export for request `id` of `shop`, built from the rows as they are now.
pub async fn export(
    store: &Store,
    shop: &str,
    id: &str,
    now: i64,
) -> Result<Option<DataExport>, StoreError> {
    let Some(req) = store.data_request(shop, id).await?.map(request_of) else {
        return Ok(None);
    };
    let customer = store.customer(shop, &req.customer_id).await?;
    let history = store.customer_history(shop, &req.customer_id).await?;
    let mut events: BTreeMap<String, Vec<EventOut>> = BTreeMap::new();
    for e in history.events {
        events.entry(e.decision_id).or_default().push(EventOut {
            event: e.event,
            status: e.status,
            errors: json_text(e.errors)?,
            created_at: rfc3339(e.created_at),
        });
    }
    let mut funnels: BTreeMap<String, FunnelOut> = history
        .funnels
        .into_iter()
        .map(|f| {
            (
                f.reference_id,
                FunnelOut {
                    seq: f.seq,
                    campaign_id: f.campaign_id,
                    step_id: f.step_id,
                    updated_at: rfc3339(f.updated_at),
                },
            )
        })
        .collect();
    let mut purchases: Vec<PurchaseOut> = Vec::new();
    for d in history.decisions {
        let reference_id = d.reference_id;
        let decision = DecisionOut {
            events: events.remove(&d.id).unwrap_or_default(),
            id: d.id,
            seq: d.seq,
            created_at: rfc3339(d.created_at),
            offered: d.render,
            campaign_id: d.campaign_id,
            step_id: d.step_id,
            experiment_id: d.experiment_id,
            arm_id: d.arm_id,
            offer: json_text(d.offer)?,
            reasons: serde_json::from_str(&d.reasons)?,
            offer_amount: d.offer_amount,
            currency_code: d.currency_code,
            shown: d.shown,
            outcome: d.outcome,
        };
        match purchases.last_mut() {
            Some(p) if p.reference_id == reference_id => p.decisions.push(decision),
            _ => purchases.push(PurchaseOut {
                funnel: funnels.remove(&reference_id),
                reference_id,
                decisions: vec![decision],
            }),
        }
    }
    Ok(Some(DataExport {
        shop: shop.to_owned(),
        data_request: req,
        generated_at: rfc3339(now),
        customer,
        purchases,
    }))
}
