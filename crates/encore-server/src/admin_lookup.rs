//! Read-only admin routes the embedded admin needs: the shop's catalog as pickers and warnings
//! read it, and a purchase's decisions with their reasons ("Why no offer?").
//!
//! Merchant-facing like the campaigns routes: an App Bridge session (its own shop) or the
//! operator token with `?shop=` ([`AdminShop`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use encore_engine::Currency;

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;
use encore_store::decisions::DecisionRow;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/shop", get(get_shop))
        .route("/api/catalog", get(get_catalog))
        .route(
            "/api/purchases/{reference_id}/decisions",
            get(get_purchase_decisions),
        )
        .merge(crate::simulation_orders::routes())
        .merge(crate::simulation_pairs::routes())
}

/// `GET /api/shop?shop=`: the shop, its currency (with its ISO 4217 exponent), Encore's
/// default `maxOfferPrice` for that currency (the engine's table; null when it has none) and
/// the live configuration version.
async fn get_shop(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<Value>, ApiError> {
    let currency = Currency::from_code(&shop.currency_code);
    let default_cap = currency.and_then(|c| {
        encore_engine::config::default_max_offer_price(c).map(|a| c.format(a.minor()))
    });
    let version = state.store.live_config(&shop.domain).await?.map(|(v, _)| v);
    Ok(Json(json!({
        "shop": shop.domain,
        "currencyCode": shop.currency_code,
        "currencyExponent": currency.map(|c| c.exponent()),
        "defaultMaxOfferPrice": default_cap,
        "configVersion": version,
    })))
}

/// `GET /api/catalog?shop=`: `{shop, currencyCode, products: [{id, title, …, variants}]}`,
/// products by id, variants as the Function sees them (price, inventory, selling plans).
async fn get_catalog(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<Value>, ApiError> {
    let facts = encore_app::facts_cache::load_uncached(&state.store, &shop.domain).await?;
    let mut products: BTreeMap<&str, Value> = facts
        .products
        .iter()
        .map(|(id, p)| {
            let mut p = (**p).clone();
            p["variants"] = json!([]);
            (id.as_str(), p)
        })
        .collect();
    for variant in facts.variants() {
        let product_id = variant.pointer("/product/id").and_then(Value::as_str);
        if let Some(list) = product_id
            .and_then(|id| products.get_mut(id))
            .and_then(|p| p["variants"].as_array_mut())
        {
            let mut v = variant.clone();
            if let Some(obj) = v.as_object_mut() {
                obj.remove("product");
            }
            list.push(v);
        }
    }
    Ok(Json(json!({
        "shop": shop.domain,
        "currencyCode": shop.currency_code,
        "products": products.into_values().collect::<Vec<_>>(),
    })))
}

fn decision_json(d: &DecisionRow) -> Value {
    // A stored list that no longer decodes is shown as such rather than failing the lookup.
    let reasons = serde_json::from_str::<Value>(&d.reasons).unwrap_or_else(|_| {
        json!([{"code": "STORED_DECISION_UNREADABLE", "detail": "the stored reasons do not decode"}])
    });
    json!({
        "id": d.id,
        "seq": d.seq,
        "offered": d.render,
        "campaignId": d.campaign_id,
        "stepId": d.step_id,
        "experimentId": d.experiment_id,
        "armId": d.arm_id,
        "offerAmount": d.offer_amount,
        "currencyCode": d.currency_code,
        "shown": d.shown,
        "outcome": d.outcome,
        "reasons": reasons,
    })
}

/// `GET /api/purchases/{referenceId}/decisions?shop=`: every decision for the purchase, in
/// funnel order, with the Function's reasons; 404 when Encore never decided for it.
async fn get_purchase_decisions(
    State(state): State<Arc<AppState>>,
    Path(reference_id): Path<String>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<Value>, ApiError> {
    let decisions = state
        .store
        .purchase_state(&shop.domain, &reference_id, None)
        .await?
        .map(|s| s.decisions)
        .unwrap_or_default();
    if decisions.is_empty() {
        return Err(ApiError::NotFound(format!(
            "Encore has no decision for purchase {reference_id}"
        )));
    }
    Ok(Json(json!({
        "shop": shop.domain,
        "referenceId": reference_id,
        "decisions": decisions.iter().map(decision_json).collect::<Vec<_>>(),
    })))
}
