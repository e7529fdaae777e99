//! The admin's sync routes, for the embedded admin (App Bridge session, its own shop) or the
//! operator token (any shop), like the other merchant-facing admin routes:
//! `GET /api/sync/status?shop=` and `POST /api/sync?shop=`, which queues a full sync, runs it
//! in the background and answers at once (202) with the status showing it (`latest.syncId`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use encore_shopify::ShopDomain;

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;
use encore_app::catalog_sync::run::{enqueue, run_queued};
use encore_store::catalog::status::{sync_status, SyncStatus};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/sync/status", get(get_status))
        .route("/api/sync", post(start_sync))
}

async fn get_status(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<SyncStatus>, ApiError> {
    Ok(Json(sync_status(&state.store, &shop.domain).await?))
}

async fn start_sync(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<(StatusCode, Json<SyncStatus>), ApiError> {
    let domain =
        ShopDomain::parse(&shop.domain).map_err(|e| ApiError::BadRequest(format!("shop: {e}")))?;
    let queued = enqueue(&state.store, &domain).await?;
    let background = state.app.clone();
    let sync_shop = domain.clone();
    // The sync's outcome lands in catalog_syncs (and the logs); the caller polls the status.
    tokio::spawn(async move {
        let _ = run_queued(
            &background.store,
            &background.sync,
            &sync_shop,
            queued,
            &|_| {},
        )
        .await;
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(sync_status(&state.store, domain.as_str()).await?),
    ))
}
