//! `GET /api/checkout-setting` (the shop's session or the admin token): whether Encore is the
//! shop's post-purchase app, as `encore_app::checkout_setting` asks Shopify.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;
use encore_app::checkout_setting::{checkout_setting, CheckoutSetting};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/checkout-setting", get(get_checkout_setting))
}

async fn get_checkout_setting(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<CheckoutSetting>, ApiError> {
    Ok(Json(
        checkout_setting(&state.credentials, &shop.domain).await?,
    ))
}
