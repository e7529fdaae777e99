//! `GET /api/simulation/orders?shop=[&name=#1001]` (the shop's session or the admin token):
//! past orders for the editor's simulator, as `encore_app::simulation_orders` reads them from
//! Shopify.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;
use encore_app::simulation_orders::{past_orders, PastOrders};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/simulation/orders", get(get_orders))
}

#[derive(Deserialize)]
struct OrdersQuery {
    /// An order's name (`#1001` or `1001`); empty or absent: the most recent orders.
    name: Option<String>,
}

async fn get_orders(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
    Query(query): Query<OrdersQuery>,
) -> Result<Json<PastOrders>, ApiError> {
    let name = query.name.as_deref().unwrap_or_default();
    Ok(Json(
        past_orders(&state.credentials, &shop.domain, name).await?,
    ))
}
