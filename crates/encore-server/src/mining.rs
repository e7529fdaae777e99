//! The admin's mining routes, for the embedded admin (App Bridge session, its own shop) or the
//! operator token (any shop): `GET /api/mining/status?shop=` and `POST /api/mining?shop=`,
//! which queues an import of the order history, runs it in the background and answers at once
//! (202) with the status showing it (`latest.runId`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use encore_shopify::ShopDomain;

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;
use encore_app::mining::import::{enqueue, run_queued};
use encore_store::mining::status::{mining_status, MiningStatus};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/mining/status", get(get_status))
        .route("/api/mining", post(start_import))
}

async fn get_status(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<MiningStatus>, ApiError> {
    Ok(Json(mining_status(&state.store, &shop.domain).await?))
}

async fn start_import(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<(StatusCode, Json<MiningStatus>), ApiError> {
    let domain =
        ShopDomain::parse(&shop.domain).map_err(|e| ApiError::BadRequest(format!("shop: {e}")))?;
    let run_id = enqueue(&state.store, &domain).await?;
    let background = state.app.clone();
    let import_shop = domain.clone();
    // The outcome lands in mining_runs (and the logs); the caller polls the status.
    tokio::spawn(async move {
        let _ = run_queued(
            &background.store,
            &background.mining,
            &background.sync,
            &import_shop,
            run_id,
            &|_| {},
        )
        .await;
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(mining_status(&state.store, domain.as_str()).await?),
    ))
}
