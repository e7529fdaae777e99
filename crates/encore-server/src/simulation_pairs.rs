//! The co-purchase pairs of a simulated purchase, for the editor's simulator: the rows the
//! offer Function's input carries for a real purchase of the same products (the live mined
//! version and the pairs loaded by hand, from the same facts cache), so `auto` offers find
//! their candidates in the simulator as they would for a buyer.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;

/// More purchased products than any purchase the simulator builds (its lines are picked by hand
/// or read from an order's first 50 lines).
const MAX_PRODUCTS: usize = 100;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/simulation/co-purchases", get(get_pairs))
}

#[derive(Deserialize)]
struct PairsQuery {
    /// Purchased product ids, comma-separated.
    #[serde(default)]
    products: String,
}

/// `GET /api/simulation/co-purchases?shop=&products=1,2`: `{coPurchases: [{productId,
/// suggestedProductId, liftPermille}]}`, the pairs of those products in the order the Function
/// input lists them (by purchased product id, then as loaded).
async fn get_pairs(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
    Query(query): Query<PairsQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut products: Vec<&str> = query
        .products
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if products.len() > MAX_PRODUCTS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_PRODUCTS} purchased products"
        )));
    }
    products.sort_unstable();
    products.dedup();
    let facts = state.facts.get(&state.store, &shop).await?;
    let pairs: Vec<&Value> = products
        .iter()
        .filter_map(|p| facts.co_purchases.get(*p))
        .flatten()
        .collect();
    Ok(Json(json!({ "coPurchases": pairs })))
}
