//! `GET /api/store-health?shop=` (the shop's session or the admin token): the shop's webhook
//! deliveries and Function runs as `encore_app::store_health` reads them.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;
use encore_app::clock::now;
use encore_app::store_health::{store_health, StoreHealth};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/store-health", get(get_health))
}

async fn get_health(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<StoreHealth>, ApiError> {
    Ok(Json(store_health(&state.store, &shop.domain, now()).await?))
}
